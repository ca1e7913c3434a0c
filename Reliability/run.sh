#!/usr/bin/env bash
# Reliability harnesses (RELIABILITY.md): libFuzzer on every loader of outside bytes, SIGKILL
# crash safety of every write, a soak of mixed calls against a 10k-tool catalogue, a fleet of
# processes following one store, an upgrade test (the newest release and this version as
# processes on one store; upgrade.py), and SIGKILL of `gantry serve` under report load
# (serve_crash.py: no acknowledged report lost).
#
# Usage: Reliability/run.sh [--short | --long] [fuzz] [crash] [soak] [fleet] [upgrade] [serve]   (default: --short, all)
#   --short  CI mode: fuzz 15 s per target, 30 kills per write scenario, soak 20 s,
#            fleet 20 markers per kind on 1k tools, adapter swaps at 1k and 10k, 15 s of load
#            from 4 processes × 16 tasks per store (~2 min)
#   --long   on demand: fuzz 5 min per target, 250 kills per scenario, soak 5 min,
#            fleet 500 markers per kind on 10k tools, swaps at 1k, 10k and 100k, 60 s of load
#   The fleet's load runs on PostgreSQL too when GANTRY_FLEET_POSTGRES_URL (or
#   GANTRY_TEST_POSTGRES_URL) names a server; each run makes a schema of its own there.
#   FUZZ_TARGETS="index store" limits fuzzing to those targets
#   FUZZ_JOBS=N  targets fuzzed at once (default: the number of cores)
# Results go to Reliability/.build/results (fuzz.jsonl, crash.json, soak.json, fleet.json); a crash found
# by the fuzzer is saved under Reliability/.build/results/crashes/<target>/ with the command
# that replays it, and makes this script fail.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."  # the harnesses are targets of the root package (they share its builds)
mode=short
parts=()
for argument in "$@"; do
  case "$argument" in
    --short) mode=short ;;
    --long) mode=long ;;
    fuzz|crash|soak|fleet|upgrade|serve) parts+=("$argument") ;;
    *) echo "usage: Reliability/run.sh [--short|--long] [fuzz] [crash] [soak] [fleet] [upgrade] [serve]" >&2; exit 2 ;;
  esac
done
[ ${#parts[@]} -gt 0 ] || parts=(fuzz crash soak fleet upgrade serve)
if [ "$mode" = long ]; then fuzz_seconds=300 kills=250 soak_seconds=300 server_kills=40; else fuzz_seconds=15 kills=30 soak_seconds=20 server_kills=5; fi
results="$here/.build/results"
mkdir -p "$results"

for part in "${parts[@]}"; do
  echo "-- $part (${SECONDS} s into the harnesses)"
  case "$part" in
  fuzz)
    jobs_at_once=${FUZZ_JOBS:-$(nproc)}  # libFuzzer runs on one core: one target per core
    echo "== fuzzing ($fuzz_seconds s per target, $jobs_at_once at a time)"
    # Swift code with libFuzzer coverage and ASan, the C kernels with ASan; lld links (gold fails on
    # the sanitizer runtimes' debug info). Without the PostgreSQL store: GantryFuzz does not use
    # it, and NIO need not be resolved for this build.
    GANTRY_WITHOUT_POSTGRES=1 swift build --product GantryFuzz --scratch-path "$here/.build-fuzz" \
      -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
      -Xcc -fsanitize=address -Xcc -fsanitize=fuzzer-no-link -Xswiftc -use-ld=lld 2>&1 | grep -E "error:|Build" || true
    fuzzer="$here/.build-fuzz/debug/GantryFuzz"
    [ -x "$fuzzer" ] || { echo "the fuzzer did not build" >&2; exit 1; }
    "$fuzzer" seeds "$results/seeds" >/dev/null
    : > "$results/fuzz.jsonl"
    rm -f "$results"/fuzz-*.failed
    fuzz_target() {  # fuzzes one target; leaves fuzz-<target>.failed when it crashed
      local target=$1
      local corpus="$here/.build/corpus/$target" crashes="$results/crashes/$target"
      rm -rf "$crashes"  # reproducers of earlier runs live on as regression tests
      mkdir -p "$corpus" "$crashes"
      cp -n "$results/seeds/$target"/* "$corpus"/
      local log="$results/fuzz-$target.log" status=0 max_len=8192
      [ "$target" = store ] && max_len=65536  # SQLite files are pages of 4 KB
      GANTRY_FUZZ_TARGET=$target "$fuzzer" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -detect_leaks=0 \
        -max_len=$max_len -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" > "$log" 2>&1 || status=$?
      local runs coverage corpus_size found
      runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" | tail -1 || true)
      coverage=$(grep -oE "cov: [0-9]+" "$log" | tail -1 | grep -oE "[0-9]+" || true)
      corpus_size=$(ls "$corpus" | wc -l)
      found=$(ls "$crashes" | wc -l)
      echo "{\"target\": \"$target\", \"seconds\": $fuzz_seconds, \"executions\": ${runs:-0}, \"coverage\": ${coverage:-0}, \"corpus\": $corpus_size, \"crashes\": $found, \"exit\": $status}" >> "$results/fuzz.jsonl"
      printf "  %-12s %10s executions  coverage %5s  corpus %5s  crashes %s\n" "$target" "${runs:-0}" "${coverage:-0}" "$corpus_size" "$found"
      if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
        touch "$results/fuzz-$target.failed"
        echo "  $target: crash saved in $crashes; replay: $fuzzer replay $target $crashes/<file>   (log: $log)" >&2
        grep -E "ERROR|Fatal error|broken promise|SUMMARY" "$log" | head -5 >&2 || true
      fi
    }
    for target in ${FUZZ_TARGETS:-npy safetensors vocabulary tokenizer index lexical adapter dataset events tool store}; do
      while [ "$(jobs -rp | wc -l)" -ge "$jobs_at_once" ]; do wait -n || true; done
      fuzz_target "$target" &
    done
    wait
    if ls "$results"/fuzz-*.failed >/dev/null 2>&1; then exit 1; fi
    ;;
  crash)
    echo "== crash safety ($kills kills per scenario)"
    swift build -c release --product CrashHarness 2>&1 | grep -E "error|Build" || true
    "$(swift build -c release --show-bin-path)/CrashHarness" --kills "$kills" --json "$results/crash.json"
    ;;
  soak)
    echo "== soak ($soak_seconds s)"
    swift build -c release --product Soak 2>&1 | grep -E "error|Build" || true
    "$(swift build -c release --show-bin-path)/Soak" --seconds "$soak_seconds" --json "$results/soak.json"
    ;;
  fleet)
    if [ "$mode" = long ]; then fleet=(--tools 10000 --markers 500 --swaps 1000:3,10000:3,100000 --load 60)
    else fleet=(--tools 1000 --markers 20 --swaps 1000,10000 --load 15); fi
    # The load runs on PostgreSQL too when a server is named (.ci/run starts one for the tests).
    postgres_url="${GANTRY_FLEET_POSTGRES_URL:-${GANTRY_TEST_POSTGRES_URL:-}}"
    [ -z "$postgres_url" ] || fleet+=(--postgres "$postgres_url")
    echo "== fleet (${fleet[*]})"
    swift build -c release --product Fleet 2>&1 | grep -E "error|Build" || true
    "$(swift build -c release --show-bin-path)/Fleet" "${fleet[@]}" --json "$results/fleet.json"
    ;;
  upgrade)
    echo "== upgrade (the newest release and this checkout on one store)"
    python3 "$here/upgrade.py" --json "$results/upgrade.json"  # the same in both modes
    ;;
  serve)
    echo "== gantry serve killed under report load ($server_kills kills)"
    swift build -c release --product gantry 2>&1 | grep -E "error|Build" || true
    python3 "$here/serve_crash.py" --gantry "$(swift build -c release --show-bin-path)/gantry" --kills "$server_kills" --json "$results/serve-crash.json"
    ;;
  esac
done
echo "-- harnesses done in ${SECONDS} s"
