#!/usr/bin/env bash
# Side-by-side index benchmark, one run: AgentGantry's FlatIndex and HNSWIndex against FAISS
# (IndexFlatIP, IndexHNSWFlat), hnswlib and USearch, on the same .npy files with the same
# parameters (M=16, efConstruction=200, ef 10…256), at 1 and 2 threads. Each HNSW library runs
# in its own process so its resident-memory growth is its own. Prints Markdown tables with our
# ratio to each peer and keeps the raw JSON lines in Benchmarks/.build/compare/results.jsonl.
#
# Usage: Benchmarks/compare/run-index-compare.sh [sizes…]   (default: 10000 100000)
# Data: seeded clustered synthetic vectors (384-d, 1000 held-out queries) and, when
# ../shared/datasets/metatool is beside the repository, the real MiniLM tool embeddings (199
# tools, searched by 1000 real queries) and the real query embeddings as a catalogue (20k).
# Python peers install into a venv under Benchmarks/.build (never a dependency of the package).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$here/../.build/compare"
mkdir -p "$work"
sizes=("${@:-10000 100000}")
read -r -a sizes <<< "${sizes[*]}"

venv="$here/../.build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q numpy faiss-cpu hnswlib usearch
py="$venv/bin/python"

(cd "$here/.." && swift build -c release --product IndexCompare >/dev/null)
bin="$(cd "$here/.." && swift build -c release --show-bin-path)/IndexCompare"

datasets=()
for n in "${sizes[@]}"; do
  dir="$work/synth$n"
  [ -f "$dir/data.npy" ] || "$bin" generate --count "$n" --queries 1000 --out "$dir"
  datasets+=("synth$n:$dir/data.npy:$dir/queries.npy")
done
shared="$root/../shared/datasets/metatool"
if [ -f "$shared/tools.npy" ]; then
  "$py" "$here/metatool_sets.py" "$shared" "$work/metatool"
  datasets+=("metatool-tools:$shared/tools.npy:$work/metatool/queries1000.npy")
  datasets+=("metatool-queries20k:$work/metatool/catalogue20k.npy:$work/metatool/queries1000.npy")
fi

results="$work/results.jsonl"
: > "$results"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
for entry in "${datasets[@]}"; do
  IFS=: read -r label data queries <<< "$entry"
  for threads in 1 2; do
    echo "== $label, $threads thread(s)" >&2
    "$bin" measure --data "$data" --queries "$queries" --threads "$threads" --label "$label" >> "$results"
    for library in faiss hnswlib usearch; do
      kinds=hnsw
      [ "$library" = faiss ] && kinds=flat,hnsw
      "$py" "$here/index_peers.py" --data "$data" --queries "$queries" --threads "$threads" --label "$label" \
        --libraries "$library" --kinds "$kinds" >> "$results"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
"$py" "$here/report.py" "$results"
