#!/usr/bin/env bash
# Lexical search side by side, one run: AgentGantry's LexicalIndex (LexicalBench) against the
# Python bm25s package on the same 10,000-tool catalogue (a seeded recombination of the metatool
# and toollens tool texts) and 2,000 metatool test queries, one query at a time, top 10, one
# thread each. Prints both lines and the ratio. Needs ../shared/datasets/{metatool,toollens};
# bm25s installs into a venv under Benchmarks/.build.
#
# Usage: Benchmarks/compare/run-lexical-compare.sh [tools, default 10000]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$here/../.build/compare/lexical"
mkdir -p "$work"
shared="$root/../shared/datasets"
for dataset in metatool toollens; do
  [ -f "$shared/$dataset/tools.jsonl" ] || { echo "needs $shared/$dataset" >&2; exit 1; }
done
venv="$here/../.build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q bm25s numpy
(cd "$here/.." && swift build -c release --product LexicalBench >/dev/null)
bin="$(cd "$here/.." && swift build -c release --show-bin-path)/LexicalBench"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ours="$("$bin" --metatool "$shared/metatool" --toollens "$shared/toollens" --tools "${1:-10000}" --write "$work")"
echo "AgentGantry: $ours"
peer="$(OPENBLAS_NUM_THREADS=1 "$venv/bin/python" "$here/lexical_peer.py" "$work/catalogue.jsonl" "$work/queries.jsonl")"
echo "peer: $peer"
python3 - "$ours" "$peer" <<'PY'
import json, re, sys
ours = float(re.search(r"([0-9.]+) µs per query", sys.argv[1]).group(1))
peer = json.loads(sys.argv[2])["us_per_query"]
print(f"ratio (peer ÷ ours, higher is better): {peer / ours:.1f}×  ({peer:.1f} µs against {ours:.1f} µs per query)")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
