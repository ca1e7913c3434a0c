#!/usr/bin/env bash
# Refreshes the notebooks' data from quick reference runs, then executes the notebooks and
# exports HTML and Markdown (with PNGs) next to them. Benchmarks are not re-run here (they take
# 25 minutes): their latest JSON lines are copied from Benchmarks/.build/compare when present
# (run Benchmarks/compare/run-*-compare.sh first to refresh them).
#
# Usage: notebooks-export/run.sh [--no-refresh]     (--no-refresh: only execute and export)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
data="$here/data"
shared="$root/../shared/datasets/metatool"
mkdir -p "$data" "$root/.build/notebooks"

venv="$root/.build/notebooks-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q nbconvert nbformat nbclient ipykernel matplotlib numpy

if [ "${1:-}" != "--no-refresh" ]; then
  (cd "$root" && swift build -c release --product gantry >/dev/null)
  gantry="$(cd "$root" && swift build -c release --show-bin-path)/gantry"
  cd "$root"
  "$gantry" demo --report "$data/demo-support-desk.json" >/dev/null 2>&1
  "$gantry" train --dataset datasets/support-desk --output .build/notebooks/support-desk.gadp \
    --report "$data/train-support-desk.json" >/dev/null 2>&1
  if [ -f "$shared/queries.npy" ]; then
    "$gantry" replay --dataset "$shared" --json "$data/replay-metatool.json" >/dev/null 2>&1
    "$gantry" train --dataset "$shared" --output .build/notebooks/metatool.gadp --report "$data/train-metatool.json" >/dev/null 2>&1
  fi
  # Simulated agents reporting selections and outcomes (learning from every call): a line per
  # dataset and mode, the replay's report in it. (toollens' implicit replays take minutes.)
  agents="$data/replay-agents.jsonl"
  : > "$agents"
  for folder in datasets/support-desk "$shared" "$root/../shared/datasets/toollens"; do
    [ -f "$folder/queries.npy" ] || continue
    name="$(basename "$folder")"
    for mode in today implicit "implicit, explored" mixed explicit; do
      case "$mode" in
        today) options=() ;;
        "implicit, explored") options=(--agent implicit --exploration-rate 0.05) ;;
        *) options=(--agent "$mode") ;;
      esac
      "$gantry" replay --dataset "$folder" "${options[@]}" --json .build/notebooks/agent.json >/dev/null 2>&1
      "$venv/bin/python" -c 'import json, sys; print(json.dumps({"dataset": sys.argv[1], "mode": sys.argv[2], "report": json.load(open(sys.argv[3]))}))' \
        "$name" "$mode" .build/notebooks/agent.json >> "$agents"
    done
  done
  # Quality per retrieval kind: frozen dense, lexical and hybrid, adapted dense and hybrid (test splits).
  kinds="$data/retrieval-kinds.jsonl"
  : > "$kinds"
  for folder in datasets/support-desk "$shared" "$root/../shared/datasets/toollens"; do
    [ -f "$folder/queries.npy" ] || continue
    name="$(basename "$folder")"
    [ -f ".build/notebooks/$name.gadp" ] || "$gantry" train --dataset "$folder" --output ".build/notebooks/$name.gadp" >/dev/null 2>&1
    for run in "dense:" "lexical:" "hybrid:" "dense:adapted" "hybrid:adapted"; do
      kind="${run%%:*}"
      adapter=(); [ "${run##*:}" = adapted ] && adapter=(--adapter ".build/notebooks/$name.gadp")
      line="$("$gantry" eval --dataset "$folder" "${adapter[@]}" --retrieval "$kind" --json 2>/dev/null | tail -1)"
      echo "{\"dataset\": \"$name\", \"retrieval\": \"$kind\", \"adapted\": $([ "${run##*:}" = adapted ] && echo true || echo false), \"metrics\": $line}" >> "$kinds"
    done
  done
  compare="$root/Benchmarks/.build/compare"
  for pair in results.jsonl:index-compare.jsonl encoder.jsonl:encoder-compare.jsonl adapter.jsonl:adapter-compare.jsonl; do
    [ -f "$compare/${pair%%:*}" ] && cp "$compare/${pair%%:*}" "$data/${pair##*:}"
  done
  cd "$here"
fi

cd "$here"
for notebook in learning speed; do
  "$venv/bin/jupyter" nbconvert --to html --execute "$notebook.ipynb" --output "$notebook" >/dev/null 2>&1
  "$venv/bin/jupyter" nbconvert --to markdown --execute "$notebook.ipynb" --output "$notebook" >/dev/null 2>&1
  echo "exported $here/$notebook.html and $notebook.md (+ ${notebook}_files/)"
done
