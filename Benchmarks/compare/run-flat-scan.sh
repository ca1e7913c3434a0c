#!/usr/bin/env bash
# The flat index's single-query scan against FAISS IndexFlatIP, read against this core's read
# bandwidth at the same working set, one run: 199 real MetaTool tool vectors (L2), 10k synthetic
# (L3), 20k real MetaTool query vectors (about the L3's size) and 100k synthetic (DRAM), 384
# floats each, top-10, one thread; ours and FAISS alternate REPS times (default 3) on each set.
# The bandwidth is one stream read by the library's dot kernel (read_bandwidth.c), from memory in
# 4 KiB pages and in 2 MiB pages (the flat index advises its rows for huge pages:
# HugePageFloats). Prints a Markdown table; raw JSON lines in Benchmarks/.build/compare/flat-scan.jsonl.
#
# Usage: Benchmarks/compare/run-flat-scan.sh   (needs scripts/bootstrap, a C compiler, and
# ../shared/datasets/metatool beside the repository for the two real sets)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$here/../.build/compare"
mkdir -p "$work"
reps=${REPS:-3}

venv="$here/../.build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q numpy faiss-cpu
py="$venv/bin/python"

(cd "$here/.." && swift build -c release --product IndexCompare >/dev/null)
bin="$(cd "$here/.." && swift build -c release --show-bin-path)/IndexCompare"
kernels="$root/Sources/GantryKernels"
${CLANG:-clang} -O2 -o "$work/read_bandwidth" "$here/read_bandwidth.c" "$kernels"/*.c -I"$kernels/include" -lm
${CC:-cc} -O2 -o "$work/openblas_sgemm" "$here/openblas_sgemm.c" -I/usr/include/x86_64-linux-gnu -lopenblas

datasets=()
for n in 10000 100000; do
  dir="$work/synth$n"
  [ -f "$dir/data.npy" ] || "$bin" generate --count "$n" --queries 1000 --out "$dir"
done
shared="$root/../shared/datasets/metatool"
if [ -f "$shared/tools.npy" ]; then
  "$py" "$here/metatool_sets.py" "$shared" "$work/metatool"
  datasets+=("metatool-tools:$shared/tools.npy:$work/metatool/queries1000.npy")
fi
datasets+=("synth10000:$work/synth10000/data.npy:$work/synth10000/queries.npy")
[ -f "$shared/tools.npy" ] && datasets+=("metatool-queries20k:$work/metatool/catalogue20k.npy:$work/metatool/queries1000.npy")
datasets+=("synth100000:$work/synth100000/data.npy:$work/synth100000/queries.npy")

results="$work/flat-scan.jsonl"
: > "$results"
echo "{\"kind\": \"host\", \"load_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"sgemm\": \"$(OPENBLAS_NUM_THREADS=1 "$work/openblas_sgemm" 1024 1024 1024 | tr -d '\n"')\"}" >> "$results"
"$work/read_bandwidth" 199 10000 20000 100000 >> "$results"
for entry in "${datasets[@]}"; do
  IFS=: read -r label data queries <<< "$entry"
  for rep in $(seq "$reps"); do
    echo "== $label, round $rep" >&2
    "$bin" measure --data "$data" --queries "$queries" --threads 1 --label "$label" --kinds flat >> "$results"
    "$py" "$here/index_peers.py" --data "$data" --queries "$queries" --threads 1 --label "$label" \
      --libraries faiss --kinds flat >> "$results"
  done
done
echo "{\"kind\": \"host\", \"load_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$results"

"$py" - "$results" <<'PY'
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for l in lines:
    if l.get("kind") == "host": print("; ".join(f"{k}: {v}" for k, v in l.items() if k != "kind"))
bandwidth = {(l["rows"], l["pages"]): l["gbps"] for l in lines if l.get("kind") == "bandwidth"}
runs = {}
for l in lines:
    if "library" in l: runs.setdefault((l["dataset"], l["n"]), {}).setdefault(l["library"], []).append(l["qps_single"])
print("\n| set | vectors | ours µs/query | FAISS µs/query | ours ÷ FAISS | ours GB/s | FAISS GB/s | read GB/s, 4 KiB / 2 MiB pages | ours, FAISS of 4 KiB bandwidth |")
print("|---|---|---|---|---|---|---|---|---|")
for (name, n), libraries in runs.items():
    ours, faiss = statistics.median(libraries["AgentGantry"]), statistics.median(libraries["FAISS"])
    gb = n * 384 * 4 / 1e9
    small, huge = bandwidth[n, "4KiB"], bandwidth[n, "2MiB"]
    print(f"| {name} | {n:,} | {1e6 / ours:.1f} | {1e6 / faiss:.1f} | {ours / faiss:.2f}× | {ours * gb:.1f} | {faiss * gb:.1f} | "
          f"{small:.1f} / {huge:.1f} | {ours * gb / small:.0%}, {faiss * gb / small:.0%} |")
print("\nMedians of the rounds (queries per second of one-at-a-time search, one thread).")
PY
