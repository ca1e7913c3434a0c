#!/usr/bin/env bash
# Side-by-side adapter training, one run: `gantry train` against the PyTorch reference of the same
# adapter, loss, mining and optimiser (adapter_reference.py), on the same dataset with the same
# settings (rank 32, batch 256, margin 0.2, 4 hard + 1 random negatives, AdamW lr 1e-3 with cosine
# decay, both sides, tool offsets), at 1 and 2 threads. Prints test-split metrics and training
# triplets/s (optimisation steps only, mining and validation excluded, on both sides).
#
# Usage: Benchmarks/compare/run-adapter-compare.sh [dataset folder]   (default ../shared/datasets/metatool)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
dataset="${1:-$root/../shared/datasets/metatool}"
work="$here/../.build/compare"
mkdir -p "$work"

venv="$here/../.build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q numpy torch
py="$venv/bin/python"
(cd "$root" && swift build -c release --product gantry >/dev/null)
gantry="$(cd "$root" && swift build -c release --show-bin-path)/gantry"

results="$work/adapter.jsonl"
: > "$results"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for threads in 1 2; do
  "$gantry" train --dataset "$dataset" --threads "$threads" --output "$work/adapter-$threads.gadp" \
    --report "$work/adapter-report-$threads.json" >/dev/null 2>&1
  "$py" - "$work/adapter-report-$threads.json" "$threads" >> "$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
test = next(e for e in r["evaluations"] if e["split"] == "test")
print(json.dumps({"library": "AgentGantry", "threads": int(sys.argv[2]), "test": test["adapted"],
                  "frozen": test["frozen"], "triplets_per_second": r["run"]["tripletsPerSecond"],
                  "gflops": r["run"]["stepGFLOPs"], "seconds": r["totalSeconds"], "best_epoch": r["run"]["bestEpoch"]}))
PY
  "$py" "$here/adapter_reference.py" --dataset "$dataset" --threads "$threads" >> "$results"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$py" - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
frozen = next(r["frozen"] for r in rows if "frozen" in r)
print("| trainer | threads | R@1 | MRR@10 | NDCG@10 | triplets/s | GFLOP/s | whole run (s) |")
print("|---|---|---|---|---|---|---|---|")
m = frozen
print(f"| frozen | | {m['recall@1']:.4f} | {m['mrr@10']:.4f} | {m['ndcg@10']:.4f} | | | |")
for r in rows:
    m = r["test"]
    gf = f"{r['gflops']:.1f}" if "gflops" in r else ""
    print(f"| {r['library']} | {r['threads']} | {m['recall@1']:.4f} | {m['mrr@10']:.4f} | {m['ndcg@10']:.4f} | "
          f"{r['triplets_per_second']:,.0f} | {gf} | {r['seconds']:.1f} |")
for t in (1, 2):
    ours = next(r for r in rows if r["library"] == "AgentGantry" and r["threads"] == t)
    ref = next(r for r in rows if r["library"] != "AgentGantry" and r["threads"] == t)
    print(f"\n{t} thread(s): triplets/s ours ÷ PyTorch = {ours['triplets_per_second'] / ref['triplets_per_second']:.2f}×")
PY
