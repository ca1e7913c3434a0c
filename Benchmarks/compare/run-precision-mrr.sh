#!/usr/bin/env bash
# MRR@10 of retrieval with vectors made at one encoder precision (README, "8 bits"): for MetaTool
# and ToolLens, `gantry embed` makes the query and tool vectors (tools by `--tool-text`) at
# GANTRY_ENCODER_PRECISION=$1, then `gantry eval` frozen and hybrid, and `gantry train` seeds 0
# and 1 each evaluated adapted. Run it for fp32 and for the other precision: the same commands.
#
#   Benchmarks/compare/run-precision-mrr.sh fp32|bf16|int8 DATASETS
# DATASETS holds metatool/ and toollens/ in the common format (queries.jsonl, tools.jsonl).
# From the repository root, after `swift build -c release --product gantry` (or GANTRY_BIN=path
# to compare another build).
set -euo pipefail
precision=${1:?usage: run-precision-mrr.sh fp32|bf16|int8 DATASETS}
datasets=${2:?usage: run-precision-mrr.sh fp32|bf16|int8 DATASETS}
gantry=${GANTRY_BIN:-.build/release/gantry}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mrr() { "$gantry" eval "$@" --json | grep -o '"mrr@10" *: *[0-9.]*' | grep -o '[0-9.]*$'; }
for name in metatool toollens; do
  folder=$work/$name
  mkdir -p "$folder"
  cp "$datasets/$name/queries.jsonl" "$datasets/$name/tools.jsonl" "$folder/"
  GANTRY_ENCODER_PRECISION=$precision "$gantry" embed --input "$folder/queries.jsonl" --field text --output "$folder/queries.npy" >/dev/null 2>&1
  GANTRY_ENCODER_PRECISION=$precision "$gantry" embed --input "$folder/tools.jsonl" --tool-text --output "$folder/tools.npy" >/dev/null 2>&1
  echo "$name $precision frozen $(mrr --dataset "$folder")"
  echo "$name $precision hybrid $(mrr --dataset "$folder" --retrieval hybrid)"
  for seed in 0 1; do
    "$gantry" train --dataset "$folder" --seed "$seed" --output "$folder/seed$seed.gadp" >/dev/null 2>&1
    echo "$name $precision adapted seed $seed $(mrr --dataset "$folder" --adapter "$folder/seed$seed.gadp")"
  done
done
