#!/usr/bin/env bash
# A/B speed check for a refactor: did NEW keep OLD's speed?
#
#   Benchmarks/compare/run-ab.sh [--runs N] [--callgrind] OLD_REV [NEW_REV]
#
# NEW_REV defaults to the working tree. A revision is exported with `git archive` into
# .build/ab/src-<sha> (the working tree's untracked Package.resolved files are copied in, so both
# sides use the same dependency versions) and built in release with its own scratch path
# .build/ab/build-<sha>, through that tree's own Benchmarks package (products gantry, RouterBench,
# IndexCompare); a commit built once is reused. The working tree builds incrementally in
# .build/ab/build-worktree. The set then runs interleaved old/new/old/new/old/new (N = 3 each):
#   RouterBench         single-query retrieveTools p50 (synthetic vectors; also encoder and burst p50)
#   gantry embed        texts/s at --batch 1 and --batch 32 on 320 generated texts (256 short, 64 long)
#   gantry train        ../shared/datasets/metatool: wall seconds, the report's totalSeconds, triplets/s
#                       (skipped with a message when the dataset is missing)
#   index, 10k × 384    seeded .npy: `gantry index build` flat/HNSW and `gantry index search` (which
#                       always batches: GEMM for flat, parallel queries for HNSW) on 1000 queries, and
#                       the per-query path (one query at a time, one thread) from IndexCompare's
#                       qps_single, flat and HNSW ef=64, on the HNSW file `gantry index build` wrote
# and prints medians, the ratio new/old and PASS/FAIL against ±5% (a gain beyond 5% passes, marked
# "faster"; rows marked info are not gated). Load average and `gantry selfcheck` sgemm GFLOP/s are
# printed at the start and the end. When the 1-minute load is above 0.5 the timings are noisy and
# the script suggests --callgrind, which also runs RouterBench (small, encoder off) and the index
# searches (1 and 31 queries: the difference is the search alone) once per side under
# `valgrind --tool=callgrind` and compares instruction counts against ±2%.
# Exit status: 0 all gated rows pass, 1 some FAIL, 2 usage or build error.
# Knobs (environment): AB_RUNS (3), AB_TOLERANCE (5 %), AB_CG_TOLERANCE (2 %),
# AB_ROUTER_ARGS ("--tools 10000 --queries 2000 --concurrent 1000"), AB_DATASET (metatool folder).
# valgrind 3.19 (Debian 12) cannot read the DWARF 5 of Swift 6 binaries and crashes when libdispatch
# passes a read-only mask to sigsuspend (async main): --callgrind runs debug-stripped copies with a
# small LD_PRELOAD shim (built under .build/ab/valgrind) that hands sigsuspend a writable copy.
set -euo pipefail

say() { printf '[ab %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

runs="${AB_RUNS:-3}"
callgrind=0
positional=()
while (($#)); do
  case "$1" in
    --runs) [ $# -ge 2 ] || usage; runs="$2"; shift 2 ;;
    --runs=*) runs="${1#--runs=}"; shift ;;
    --callgrind) callgrind=1; shift ;;
    -h|--help) usage ;;
    -*) say "unknown option $1"; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#positional[@]} -ge 1 ] && [ ${#positional[@]} -le 2 ] || usage
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
old_rev="${positional[0]}"
new_rev="${positional[1]:-WORKTREE}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)" || die "not inside a git checkout"
ab="$root/.build/ab"
last="$ab/last"                      # this invocation's outputs (replaced each time)
tolerance="${AB_TOLERANCE:-5}"
cg_tolerance="${AB_CG_TOLERANCE:-2}"
router_args="${AB_ROUTER_ARGS:---tools 10000 --queries 2000 --concurrent 1000}"
dataset="${AB_DATASET:-$root/../shared/datasets/metatool}"
command -v swift >/dev/null || die "swift is not on PATH"
mkdir -p "$ab"
rm -rf "$last"
mkdir -p "$last"
results="$last/results.tsv"          # side, metric, value: one line per measurement
: > "$results"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
start_load="$(cut -d' ' -f1 /proc/loadavg)"
say "uptime at start: $(uptime)"

# Python for the data, the JSON and the table; numpy from a venv under .build/ab if it is missing.
py=python3
if ! python3 -c 'import numpy' 2>/dev/null; then
  say "numpy is missing: installing it into $ab/venv"
  [ -x "$ab/venv/bin/python" ] || python3 -m venv "$ab/venv"
  "$ab/venv/bin/pip" install -q numpy
  py="$ab/venv/bin/python"
fi

# ---------------------------------------------------------------------------------------------
# Sources and builds
declare -A src scratch bin label
prepare() {  # side rev
  local side="$1" rev="$2" sha
  if [ "$rev" = WORKTREE ]; then
    src[$side]="$root"
    scratch[$side]="$ab/build-worktree"
    local dirty=""
    git -C "$root" diff --quiet HEAD -- 2>/dev/null || dirty=" + uncommitted changes"
    label[$side]="working tree ($(git -C "$root" rev-parse --short HEAD)$dirty)"
    return
  fi
  sha="$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}")" || die "unknown revision '$rev'"
  src[$side]="$ab/src-$sha"
  scratch[$side]="$ab/build-$sha"
  label[$side]="$rev"
  [[ "$sha" == "$rev"* ]] || label[$side]="$rev ($(git -C "$root" rev-parse --short "$sha"))"
  if [ ! -f "${src[$side]}/.ab-exported" ]; then
    say "exporting $rev into ${src[$side]}"
    rm -rf "${src[$side]}" "${src[$side]}.tmp"
    mkdir -p "${src[$side]}.tmp"
    git -C "$root" archive "$sha" | tar -x -C "${src[$side]}.tmp"
    [ -f "${src[$side]}.tmp/Benchmarks/Package.swift" ] || die "$rev has no Benchmarks/Package.swift"
    local f
    for f in Package.resolved Benchmarks/Package.resolved; do
      if [ ! -f "${src[$side]}.tmp/$f" ] && [ -f "$root/$f" ]; then cp "$root/$f" "${src[$side]}.tmp/$f"; fi
    done
    touch "${src[$side]}.tmp/.ab-exported"
    mv "${src[$side]}.tmp" "${src[$side]}"
  fi
}

build() {  # side
  local side="$1" s="${scratch[$1]}" p="${src[$1]}/Benchmarks" log product
  log="$s.log"
  mkdir -p "$s"
  bin[$side]="$s/release"
  if [ "${src[$side]}" != "$root" ] && [ -f "$s/.ab-built" ]; then
    say "$side: reusing the build of ${label[$side]} ($s)"
  else
    say "$side: building ${label[$side]} in release (log: $log)"
    : > "$log"
    for product in gantry RouterBench IndexCompare; do
      if ! swift build -c release --package-path "$p" --scratch-path "$s" --product "$product" >> "$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "$side: building $product of ${label[$side]} failed (full log: $log)"
      fi
    done
    [ "${src[$side]}" = "$root" ] || touch "$s/.ab-built"
  fi
  bin[$side]="$(swift build -c release --package-path "$p" --scratch-path "$s" --show-bin-path)"
  for product in gantry RouterBench IndexCompare; do
    [ -x "${bin[$side]}/$product" ] || die "$side: ${bin[$side]}/$product is missing"
  done
}

prepare old "$old_rev"
prepare new "$new_rev"
say "old = ${label[old]}, new = ${label[new]}"
build old
build new

# ---------------------------------------------------------------------------------------------
# Fixed inputs (seeded; made once)
data="$ab/data"
if [ ! -f "$data/.ab-made" ]; then
  say "generating inputs in $data"
  mkdir -p "$data"
  "$py" - "$data" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(20240601)
verbs = "cancel send book refund find create delete update list schedule export import share archive".split()
nouns = ("subscription message flight invoice ticket meeting report file order account calendar "
         "customer repository payment reminder").split()
extras = ("for the team on Friday before noon with the latest numbers and a short summary, "
          "keeping the previous settings unless the owner asked otherwise, and notify everyone "
          "who was on the thread last week about the outcome").split()
with open(out + "/texts.jsonl", "w") as f:
    for i in range(256):   # short queries, 3-6 words
        words = [verbs[rng.integers(len(verbs))], "the", nouns[rng.integers(len(nouns))]]
        words += [extras[j] for j in rng.integers(len(extras), size=rng.integers(0, 4))]
        f.write(json.dumps({"text": " ".join(words)}) + "\n")
    for i in range(64):    # longer descriptions, ~60-90 words
        n = int(rng.integers(60, 90))
        words = [(verbs + nouns + extras)[j] for j in rng.integers(len(verbs) + len(nouns) + len(extras), size=n)]
        f.write(json.dumps({"text": " ".join(words).capitalize() + "."}) + "\n")
# 10k × 384 unit vectors in 500 clusters, and 1000 held-out queries from the same clusters.
d, n, q, c = 384, 10_000, 1_000, 500
centres = rng.standard_normal((c, d)).astype(np.float32)
def points(m):
    x = centres[rng.integers(c, size=m)] + 0.6 * rng.standard_normal((m, d)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
base, queries = points(n), points(q)
np.save(out + "/base.npy", base)
np.save(out + "/queries.npy", queries)
np.save(out + "/queries1.npy", queries[:1])
np.save(out + "/queries31.npy", queries[:31])  # < 32 rows: HNSW search runs them one by one on one thread
PY
  touch "$data/.ab-made"
fi

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$results"; }
# First number before a unit in a file: grab FILE 'texts/s'
grab() { grep -oE "[0-9]+(\.[0-9]+)? $2" "$1" | tail -n 1 | cut -d' ' -f1; }
jfield() { "$py" -c 'import json,sys
v = json.load(open(sys.argv[1])) if sys.argv[1].endswith(".json") else json.loads(sys.argv[1].strip().splitlines()[-1])
for key in sys.argv[2].split("."): v = v[key]
print("" if v is None else v)' "$1" "$2"; }
now() { date +%s.%N; }
elapsed() { "$py" -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$1" "$2"; }

selfcheck() {  # when
  local line
  line="$("${bin[new]}/gantry" selfcheck --seconds 2 | grep 'GFLOP/s' || true)"
  say "$1: load average $(loadavg); ${line:-selfcheck printed no sgemm figure}"
}
selfcheck start
if awk "BEGIN { exit !($start_load > 0.5) }"; then
  say "note: the 1-minute load average is $start_load (> 0.5): timings will be noisy."
  [ "$callgrind" = 1 ] || say "      rerun with --callgrind to compare instruction counts as well (±${cg_tolerance}%)."
fi

have_dataset=1
if [ ! -f "$dataset/tools.jsonl" ]; then
  have_dataset=0
  say "no dataset at $dataset: skipping gantry train"
fi

# ---------------------------------------------------------------------------------------------
# One run of the set on one side
run_set() {  # side run
  local side="$1" run="$2" b="${bin[$1]}" out="$last/$1-$2" t0 t1 json
  mkdir -p "$out"
  say "run $run/$runs: $side"

  # 1. RouterBench (reads the model from the usual place for its encoder share)
  # shellcheck disable=SC2086
  (cd "$out" && "$b/RouterBench" $router_args > router.json 2> router.err) \
    || { tail -n 20 "$out/router.err" >&2; die "$side: RouterBench failed"; }
  record "$side" router_single_p50_ms "$(jfield "$(cat "$out/router.json")" single_p50_ms)"
  record "$side" router_encoder_p50_ms "$(jfield "$(cat "$out/router.json")" encoder_p50_ms)"
  record "$side" router_concurrent_p50_ms "$(jfield "$(cat "$out/router.json")" concurrent_p50_ms)"

  # 2. gantry embed at batch 1 and 32
  local batch
  for batch in 1 32; do
    "$b/gantry" embed --input "$data/texts.jsonl" --output "$out/embed$batch.npy" --batch "$batch" \
      > "$out/embed$batch.log" 2>&1 || { tail -n 20 "$out/embed$batch.log" >&2; die "$side: gantry embed failed"; }
    record "$side" "embed_b${batch}_texts_per_s" "$(grab "$out/embed$batch.log" 'texts/s')"
  done

  # 3. gantry train
  if [ "$have_dataset" = 1 ]; then
    t0="$(now)"
    "$b/gantry" train --dataset "$dataset" --output "$out/adapter.bin" --report "$out/train.json" \
      > "$out/train.log" 2>&1 || { tail -n 20 "$out/train.log" >&2; die "$side: gantry train failed"; }
    t1="$(now)"
    record "$side" train_wall_s "$(elapsed "$t0" "$t1")"
    record "$side" train_report_total_s "$(jfield "$out/train.json" totalSeconds)"
    record "$side" train_triplets_per_s "$(grab "$out/train.log" 'triplets/s')"
  fi

  # 4. index: build (flat, HNSW), batched CLI search, per-query search (IndexCompare)
  local kind
  for kind in flat hnsw; do
    "$b/gantry" index build --embeddings "$data/base.npy" --kind "$kind" --output "$out/$kind.index" \
      > "$out/build-$kind.log" 2>&1 || { tail -n 20 "$out/build-$kind.log" >&2; die "$side: gantry index build failed"; }
    record "$side" "index_${kind}_build_s" "$(grep -oE 'build \+ save [0-9.]+' "$out/build-$kind.log" | awk '{print $4}')"
    "$b/gantry" index search --index "$out/$kind.index" --queries "$data/queries.npy" --k 10 \
      > "$out/search-$kind.log" 2>&1 || { tail -n 20 "$out/search-$kind.log" >&2; die "$side: gantry index search failed"; }
    record "$side" "index_${kind}_batch_qps" "$(grab "$out/search-$kind.log" 'queries/s')"
  done
  "$b/IndexCompare" measure --data "$data/base.npy" --queries "$data/queries.npy" --threads 1 --kinds flat,hnsw \
    --ef 64 --k 10 --reuse "$out/hnsw.index" > "$out/single.jsonl" 2> "$out/single.err" \
    || { tail -n 20 "$out/single.err" >&2; die "$side: IndexCompare measure failed"; }
  record "$side" index_flat_single_qps "$("$py" -c 'import json,sys
print(next(json.loads(l)["qps_single"] for l in open(sys.argv[1]) if "\"flat\"" in l))' "$out/single.jsonl")"
  record "$side" index_hnsw_single_qps "$("$py" -c 'import json,sys
print(next(json.loads(l)["qps_single"] for l in open(sys.argv[1]) if "\"hnsw\"" in l))' "$out/single.jsonl")"
}

for ((i = 1; i <= runs; i++)); do
  run_set old "$i"
  run_set new "$i"
done

# ---------------------------------------------------------------------------------------------
# Instruction counts under callgrind (deterministic sizes; one run per side)
cg_results="$last/callgrind.tsv"
: > "$cg_results"
if [ "$callgrind" = 1 ]; then
  if ! command -v valgrind >/dev/null; then
    say "valgrind is missing: installing it (apt-get)"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq valgrind >/dev/null \
      || die "could not install valgrind"
  fi
  vg="$ab/valgrind"
  mkdir -p "$vg"
  if [ ! -f "$vg/sigsuspend_copy.so" ]; then
    cat > "$vg/sigsuspend_copy.c" <<'C'
// valgrind 3.19 sanitises the mask given to rt_sigsuspend in place; libdispatch's is const
// (read-only), so valgrind itself crashes when a Swift async main parks in dispatch_main().
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)(_NSIG / 8));
}
C
    cc=""
    for c in cc gcc clang; do if command -v "$c" >/dev/null; then cc="$c"; break; fi; done
    [ -n "$cc" ] || die "--callgrind needs a C compiler (cc, gcc or clang) for the sigsuspend shim"
    "$cc" -shared -fPIC -O2 -o "$vg/sigsuspend_copy.so" "$vg/sigsuspend_copy.c" || die "could not build the sigsuspend shim"
  fi
  command -v objcopy >/dev/null || die "--callgrind needs objcopy (binutils) to strip debug info"
  # Total instructions (Ir) of one program run under callgrind.
  ir() {  # name command…
    local name="$1"; shift
    LD_PRELOAD="$vg/sigsuspend_copy.so" OPENBLAS_NUM_THREADS=1 GANTRY_MODEL_DIR=/nonexistent-ab-model \
      valgrind --tool=callgrind --callgrind-out-file="$cgdir/$name.out" "$@" > "$cgdir/$name.log" 2>&1 \
      || { tail -n 20 "$cgdir/$name.log" >&2; die "callgrind run $name failed"; }
    awk '/^(summary|totals):/ { print $2; exit }' "$cgdir/$name.out"
  }
  record_cg() { printf '%s\t%s\t%s\n' "$side" "$1" "$2" >> "$cg_results"; }
  for side in old new; do
    cgdir="$last/callgrind-$side"
    mkdir -p "$cgdir"
    b="$cgdir/bin"                   # copies without DWARF (valgrind 3.19 cannot read DWARF 5)
    mkdir -p "$b"
    for product in gantry RouterBench; do objcopy --strip-debug "${bin[$side]}/$product" "$b/$product"; done
    say "callgrind: $side (RouterBench --tools 1000 --queries 100 --concurrent 10, encoder off)"
    count="$(ir router "$b/RouterBench" --tools 1000 --queries 100 --concurrent 10)"
    record_cg router_Ir "$count"
    for kind in flat hnsw; do
      say "callgrind: $side gantry index search $kind (1 and 31 queries)"
      one="$(ir "$kind-q1" "$b/gantry" index search --index "$last/$side-$runs/$kind.index" --queries "$data/queries1.npy")"
      many="$(ir "$kind-q31" "$b/gantry" index search --index "$last/$side-$runs/$kind.index" --queries "$data/queries31.npy")"
      record_cg "index_${kind}_search_Ir_per_query" "$(( (many - one) / 30 ))"
      record_cg "index_${kind}_search_q1_Ir_total" "$one"
    done
  done
fi

selfcheck end
say "uptime at end: $(uptime)"

# ---------------------------------------------------------------------------------------------
# Table
"$py" - "$results" "$cg_results" "$tolerance" "$cg_tolerance" "${label[old]}" "${label[new]}" <<'PY'
import statistics, sys
results, cg_results, tol, cg_tol, old_label, new_label = sys.argv[1:7]
tol, cg_tol = float(tol) / 100, float(cg_tol) / 100
# metric: (description, higher is better, gated)
METRICS = {
    "router_single_p50_ms":     ("RouterBench single-query p50 (ms)", False, True),
    "router_encoder_p50_ms":    ("RouterBench encoder p50, batch 1 (ms)", False, False),
    "router_concurrent_p50_ms": ("RouterBench burst p50 (ms)", False, False),
    "embed_b1_texts_per_s":     ("gantry embed batch 1 (texts/s)", True, True),
    "embed_b32_texts_per_s":    ("gantry embed batch 32 (texts/s)", True, True),
    "train_wall_s":             ("gantry train wall clock (s)", False, True),
    "train_report_total_s":     ("gantry train report totalSeconds (s)", False, False),
    "train_triplets_per_s":     ("gantry train triplets/s", True, True),
    "index_flat_single_qps":    ("flat 10k single-query (q/s)", True, True),
    "index_hnsw_single_qps":    ("HNSW 10k single-query ef=64 (q/s)", True, True),
    "index_flat_batch_qps":     ("flat 10k index search, batched (q/s)", True, False),
    "index_hnsw_batch_qps":     ("HNSW 10k index search, batched (q/s)", True, False),
    "index_flat_build_s":       ("flat 10k index build + save (s)", False, False),
    "index_hnsw_build_s":       ("HNSW 10k index build + save (s)", False, False),
    "router_Ir":                         ("callgrind RouterBench small (Ir)", False, True),
    "index_flat_search_Ir_per_query":    ("callgrind flat search, per query (Ir)", False, True),
    "index_hnsw_search_Ir_per_query":    ("callgrind HNSW search, per query (Ir)", False, True),
    "index_flat_search_q1_Ir_total":     ("callgrind flat load + 1 query (Ir)", False, True),
    "index_hnsw_search_q1_Ir_total":     ("callgrind HNSW load + 1 query (Ir)", False, True),
}

def load(path):
    values = {}
    for line in open(path):
        side, metric, value = line.rstrip("\n").split("\t")
        if value not in ("", "None"):
            values.setdefault(metric, {}).setdefault(side, []).append(float(value))
    return values

def fmt(x):
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"

failures = 0
def table(values, tolerance, title):
    global failures
    rows = [m for m in METRICS if m in values] + [m for m in values if m not in METRICS]
    if not rows:
        return
    print(f"\n{title}")
    print(f"| metric | old: {old_label} | new: {new_label} | new/old | verdict (±{tolerance * 100:g}%) | runs old → new |")
    print("|---|---:|---:|---:|---|---|")
    for m in rows:
        name, higher, gated = METRICS.get(m, (m, True, False))
        old, new = values[m].get("old", []), values[m].get("new", [])
        if not old or not new:
            print(f"| {name} | {fmt(statistics.median(old)) if old else '–'} | {fmt(statistics.median(new)) if new else '–'} | – | missing | |")
            continue
        o, n = statistics.median(old), statistics.median(new)
        ratio = n / o if o else float("inf")
        better = ratio > 1 + tolerance if higher else ratio < 1 - tolerance
        worse = ratio < 1 - tolerance if higher else ratio > 1 + tolerance
        verdict = "FAIL" if worse else "PASS (faster)" if better else "PASS"
        if not gated:
            verdict = "info: " + ("slower" if worse else "faster" if better else "same")
        elif worse:
            failures += 1
        runs = lambda xs: ", ".join(fmt(x) for x in xs)
        print(f"| {name} | {fmt(o)} | {fmt(n)} | {ratio:.3f} | {verdict} | {runs(old)} → {runs(new)} |")

table(load(results), tol, "Medians of interleaved runs (lower is better for ms and s, higher for /s)")
table(load(cg_results), cg_tol, "Instruction counts under callgrind (one run each; lower is better)")
print("\nnotes: `gantry index search` batches (flat: GEMM; HNSW: queries in parallel), so the single-query rows "
      "come from IndexCompare's qps_single (one query at a time, one thread). The report's totalSeconds is "
      "informational: its scope can differ between revisions (older ones include loading the dataset); "
      "the wall clock row is the like-for-like figure.")
print(f"\n{'FAIL: ' + str(failures) + ' gated row(s) slower beyond tolerance' if failures else 'PASS: no gated row slower beyond tolerance'}")
sys.exit(1 if failures else 0)
PY
