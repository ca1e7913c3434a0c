#!/usr/bin/env bash
# MRR@10 of retrieval with vectors made at one encoder precision (README, "8 bits"): for MetaTool
# and ToolLens, `gantry embed` makes the query and tool vectors (tools by `--tool-text`) at
# GANTRY_ENCODER_PRECISION=$1, then `gantry eval` frozen and hybrid, and `gantry train` with each
# seed of SEEDS (default "0 1") evaluated adapted, then the adapted mean over the seeds. Run it for
# fp32 and for the other precision: the same commands, the same seeds.
#
#   Benchmarks/compare/run-precision-mrr.sh fp32|bf16|int8 DATASETS
# DATASETS holds metatool/ and toollens/ in the common format (queries.jsonl, tools.jsonl).
# From the repository root, after `swift build -c release --product gantry` (or GANTRY_BIN=path
# to compare another build).
set -euo pipefail
precision=${1:?usage: run-precision-mrr.sh fp32|bf16|int8 DATASETS}
datasets=${2:?usage: run-precision-mrr.sh fp32|bf16|int8 DATASETS}
gantry=${GANTRY_BIN:-.build/release/gantry}
seeds=${SEEDS:-0 1}
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
  adapted=()
  for seed in $seeds; do
    "$gantry" train --dataset "$folder" --seed "$seed" --output "$folder/seed$seed.gadp" >/dev/null 2>&1
    adapted+=("$(mrr --dataset "$folder" --adapter "$folder/seed$seed.gadp")")
    echo "$name $precision adapted seed $seed ${adapted[-1]}"
  done
  printf '%s\n' "${adapted[@]}" | awk -v label="$name $precision adapted mean" \
    '{ n++; s += $1; q += $1 * $1 } END { m = s / n; printf "%s %.4f (sd %.4f, %d seeds)\n", label, m, (n > 1 ? sqrt((q - n * m * m) / (n - 1)) : 0), n }'
done
