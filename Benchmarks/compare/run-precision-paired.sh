#!/usr/bin/env bash
# What an encoder precision costs adapted retrieval, without the training's own spread (README,
# "Encoder precision"): for MetaTool and ToolLens, `gantry embed` makes the query and tool vectors
# (tools by `--tool-text`) at fp32 and at each precision named, `gantry train` fits one adapter per
# seed of SEEDS (default "0 1 2 3 4 5 6 7") on the fp32 vectors, and `gantry eval` scores every
# adapter on every precision's vectors: the same adapter, so the difference is the vectors' alone.
# Prints MRR@10 frozen, hybrid and per adapter, then per precision the mean and standard deviation
# of the paired difference to fp32 and its largest magnitude.
#
#   Benchmarks/compare/run-precision-paired.sh DATASETS bf16 [int8 …]
# DATASETS holds metatool/ and toollens/ in the common format (queries.jsonl, tools.jsonl).
# From the repository root, after `swift build -c release --product gantry` (or GANTRY_BIN=path).
set -euo pipefail
datasets=${1:?usage: run-precision-paired.sh DATASETS PRECISION [PRECISION …]}
shift
(($# > 0)) || { echo "usage: run-precision-paired.sh DATASETS PRECISION [PRECISION …]" >&2; exit 2; }
gantry=${GANTRY_BIN:-.build/release/gantry}
seeds=${SEEDS:-0 1 2 3 4 5 6 7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mrr() { "$gantry" eval "$@" --json | grep -o '"mrr@10" *: *[0-9.]*' | grep -o '[0-9.]*$'; }
for name in metatool toollens; do
  for precision in fp32 "$@"; do
    folder=$work/$precision/$name
    mkdir -p "$folder"
    cp "$datasets/$name/queries.jsonl" "$datasets/$name/tools.jsonl" "$folder/"
    GANTRY_ENCODER_PRECISION=$precision "$gantry" embed --input "$folder/queries.jsonl" --field text --output "$folder/queries.npy" >/dev/null 2>&1
    GANTRY_ENCODER_PRECISION=$precision "$gantry" embed --input "$folder/tools.jsonl" --tool-text --output "$folder/tools.npy" >/dev/null 2>&1
    echo "$name $precision frozen $(mrr --dataset "$folder") hybrid $(mrr --dataset "$folder" --retrieval hybrid)"
  done
  for seed in $seeds; do
    "$gantry" train --dataset "$work/fp32/$name" --seed "$seed" --output "$work/$name-seed$seed.gadp" >/dev/null 2>&1
    line="$name adapted seed $seed"
    for precision in fp32 "$@"; do
      line+=" $precision $(mrr --dataset "$work/$precision/$name" --adapter "$work/$name-seed$seed.gadp")"
    done
    echo "$line" | tee -a "$work/$name.adapted"
  done
  for precision in "$@"; do
    # Fields: name adapted seed S fp32 M1 p2 M2 …; the difference of precision p to fp32.
    awk -v p="$precision" -v label="$name $precision − fp32, adapted" '{
        for (i = 5; i < NF; i += 2) { if ($i == "fp32") base = $(i + 1); if ($i == p) value = $(i + 1) }
        d = value - base; n++; s += d; q += d * d; if (d < 0 ? -d > worst : d > worst) worst = (d < 0 ? -d : d)
      } END { m = s / n; printf "%s: mean %+.4f, sd %.4f, largest |difference| %.4f (%d adapters)\n", label, m, (n > 1 ? sqrt((q - n * m * m) / (n - 1)) : 0), worst, n }' \
      "$work/$name.adapted"
  done
done
