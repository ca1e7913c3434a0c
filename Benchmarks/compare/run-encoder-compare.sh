#!/usr/bin/env bash
# Side-by-side encoder benchmark, one run: AgentGantry's MiniLMEncoder at each weight precision
# (fp32, bf16, int8) against sentence-transformers (PyTorch CPU) and ONNX Runtime (the same model
# exported to ONNX, float and dynamically quantised to 8 bits) on the same texts, batch 1 and 32,
# 1 and 2 threads.
# Texts: real queries of ../shared/datasets/metatool, chosen by token count (seeded): "short"
# = 256 queries of 12-13 tokens, "long" = 192 texts of 57-63 tokens (the length of a tool
# description with its parameters). Prints a Markdown table with our ratio; raw JSON lines stay in
# Benchmarks/.build/compare/encoder.jsonl. The model comes from the bootstrap cache (or
# GANTRY_MODEL_DIR); Python peers install into a venv under Benchmarks/.build.
#
# Usage: Benchmarks/compare/run-encoder-compare.sh [seconds per measurement, default 3]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
work="$here/../.build/compare"
mkdir -p "$work"
seconds="${1:-3}"
model="${GANTRY_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-gantry/models/all-MiniLM-L6-v2}"
shared="$root/../shared/datasets/metatool"
[ -f "$shared/queries.jsonl" ] || { echo "needs $shared/queries.jsonl" >&2; exit 1; }
"$root/scripts/bootstrap" >&2

venv="$here/../.build/peers-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q numpy torch sentence-transformers onnx onnxruntime
py="$venv/bin/python"

(cd "$here/.." && swift build -c release --product EncoderCompare >/dev/null)
bin="$(cd "$here/.." && swift build -c release --show-bin-path)/EncoderCompare"

texts="$work/encoder-texts.json"
"$py" "$here/encoder_texts.py" "$shared/queries.jsonl" "$model/tokenizer.json" "$texts"

results="$work/encoder.jsonl"
: > "$results"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
for threads in 1 2; do
  echo "== $threads thread(s)" >&2
  "$bin" --texts "$texts" --threads "$threads" --seconds "$seconds" --precisions fp32,bf16,int8 >> "$results"
  "$py" "$here/encoder_peers.py" --texts "$texts" --model "$model" --threads "$threads" --seconds "$seconds" \
    --onnx-work "$work" >> "$results"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
"$py" "$here/encoder_report.py" "$results"
