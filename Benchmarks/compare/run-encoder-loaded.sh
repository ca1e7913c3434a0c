#!/usr/bin/env bash
# The encoder and training on a busy machine: batch 32 on 2 threads, ours (fp32, bf16, int8) against
# sentence-transformers, first quiet, then with `stress-ng --cpu 1` holding one core for the
# whole second window; in each window ours and the peer alternate ROUNDS times (default 3) and
# the report gives medians. Then TrainCost (train() on 12,000 feedback events of the dataset's
# training queries) quiet and loaded: wall and CPU seconds. Texts as run-encoder-compare.sh.
# Raw JSON lines in Benchmarks/.build/compare/encoder-loaded.jsonl.
#
# Usage: Benchmarks/compare/run-encoder-loaded.sh [rounds, default 3] [seconds per measurement, default 3]
#        (needs ../shared/datasets/metatool; installs stress-ng with apt-get when it is missing)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$here/../.build/compare"
mkdir -p "$work"
rounds="${1:-3}"
seconds="${2:-3}"
model="${GANTRY_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-gantry/models/all-MiniLM-L6-v2}"
shared="$root/../shared/datasets/metatool"
[ -f "$shared/queries.jsonl" ] || { echo "needs $shared/queries.jsonl" >&2; exit 1; }
"$root/scripts/bootstrap" >&2
command -v stress-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq stress-ng >/dev/null; }

venv="$here/../.build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q numpy torch sentence-transformers
py="$venv/bin/python"

(cd "$here/.." && swift build -c release --product EncoderCompare >/dev/null && swift build -c release --product TrainCost >/dev/null)
bins="$(cd "$here/.." && swift build -c release --show-bin-path)"
texts="$work/encoder-texts.json"
"$py" "$here/encoder_texts.py" "$shared/queries.jsonl" "$model/tokenizer.json" "$texts"

results="$work/encoder-loaded.jsonl"
: > "$results"
stress=""
trap '[ -n "$stress" ] && kill "$stress" 2>/dev/null || true' EXIT
tag() { "$py" -c 'import json, sys
for line in sys.stdin:
    d = json.loads(line); d["window"] = sys.argv[1]; d["round"] = int(sys.argv[2]); print(json.dumps(d), flush=True)' "$@"; }
for window in quiet loaded; do
  if [ "$window" = loaded ]; then
    stress-ng --cpu 1 --timeout 0 --quiet & stress=$!
    sleep 2
  fi
  echo "{\"window\": \"$window\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$results"
  for round in $(seq "$rounds"); do
    echo "== $window, round $round" >&2
    "$bins/EncoderCompare" --texts "$texts" --threads 2 --batches 32 --seconds "$seconds" --precisions fp32,bf16,int8 | tag "$window" "$round" >> "$results"
    "$py" "$here/encoder_peers.py" --texts "$texts" --model "$model" --threads 2 --batches 32 --seconds "$seconds" | tag "$window" "$round" >> "$results"
  done
  train=$("$bins/TrainCost" --dataset "$shared" | tail -1)
  echo "{\"window\": \"$window\", \"train\": \"$train\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$results"
  if [ -n "$stress" ]; then kill "$stress"; wait "$stress" 2>/dev/null || true; stress=""; fi
done

"$py" - "$results" <<'PY'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for l in lines:
    if "train" in l or ("load" in l and "library" not in l):
        print(f'{l["window"]}: load {l["load"]}' + (f'; {l["train"]}' if "train" in l else ""))
runs = {}
for l in lines:
    if "library" in l:
        name = l["library"] + (f' {l["precision"]}' if "precision" in l else "")
        runs.setdefault((l["window"], l["set"]), {}).setdefault(name, []).append(l["sentences_per_second"])
print("\n| window | texts | " + " | ".join(["ours fp32", "ours bf16", "ours int8", "sentence-transformers", "fp32 ÷ s-t", "bf16 ÷ s-t", "int8 ÷ s-t"]) + " |")
print("|---|---|---|---|---|---|---|---|---|")
for (window, name), libraries in sorted(runs.items(), key=lambda kv: (kv[0][0] != "quiet", kv[0][1])):
    fp32, bf16, int8 = (statistics.median(libraries[f"AgentGantry {p}"]) for p in ("fp32", "bf16", "int8"))
    peer = statistics.median(libraries["sentence-transformers"])
    print(f"| {window} | {name} | {fp32:.0f} | {bf16:.0f} | {int8:.0f} | {peer:.0f} | {fp32 / peer:.2f}× | {bf16 / peer:.2f}× | {int8 / peer:.2f}× |")
print("\nSentences per second, batch 32, 2 threads; medians of the rounds.")
PY
