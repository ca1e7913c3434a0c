#!/usr/bin/env bash
# The soak side by side: this checkout against a base commit (58323a3 by default, the baseline of
# the issue "Many processes, one learning state"), each with its own Soak harness, without
# train(), on both cores and on one (`taskset -c 0`), alternating base and new in every round so
# both see the same machine. Prints calls/s and retrieveTools p50/p99 per run, the median ratio
# new / base per core set, and the load average; writes every run's JSON and a summary to
# Reliability/.build/soak-compare/results.
#
#   Reliability/soak-compare.sh [--base COMMIT] [--seconds 20] [--rounds 2]
#
# The base is checked out with `git worktree` into Reliability/.build/soak-compare/base (reused)
# and built in release (its Reliability package, or its root package for commits where the harnesses
# moved there): minutes the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"  # this checkout's harnesses are targets of the root package
base=58323a3 seconds=20 rounds=2
while [ $# -gt 0 ]; do
    case "$1" in
        --base) base="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "usage: $0 [--base COMMIT] [--seconds 20] [--rounds 2]" >&2; exit 2 ;;
    esac
done
work="$here/.build/soak-compare"
checkout="$work/base" results="$work/results"
mkdir -p "$work" "$results"
rm -f "$results"/*.json

if [ -e "$checkout/.git" ]; then
    git -C "$checkout" checkout -q --detach "$base"
else
    git -C "$here" worktree prune
    git -C "$here" worktree add -q --detach "$checkout" "$base"
fi
base_package="$checkout"
[ -f "$checkout/Reliability/Package.swift" ] && base_package="$checkout/Reliability"
[ -f "$root/Package.resolved" ] && [ ! -f "$base_package/Package.resolved" ] && cp "$root/Package.resolved" "$base_package/"
echo "soak-compare: building Soak at $(git -C "$checkout" rev-parse --short HEAD) and at this checkout (release)"
swift build -c release --product Soak --package-path "$base_package" > "$work/build-base.log" 2>&1 \
    || { grep error "$work/build-base.log" | head -20; echo "soak-compare: the base build failed ($work/build-base.log)" >&2; exit 1; }
swift build -c release --product Soak --package-path "$root" > "$work/build-new.log" 2>&1 \
    || { grep error "$work/build-new.log" | head -20; echo "soak-compare: the build failed ($work/build-new.log)" >&2; exit 1; }
base_bin="$(swift build -c release --show-bin-path --package-path "$base_package")/Soak"
new_bin="$(swift build -c release --show-bin-path --package-path "$root")/Soak"

for round in $(seq 1 "$rounds"); do
    for cores in 0,1 0; do
        for side in base new; do
            binary="$base_bin"; [ "$side" = new ] && binary="$new_bin"
            out="$results/$side-cores$cores-round$round.json"
            load="$(cut -d' ' -f1-3 /proc/loadavg)"
            # The base's own bounds (resident memory) may fail on this host; its figures still count.
            taskset -c "$cores" "$binary" --seconds "$seconds" --train-every 100000 --json "$out" > "$out.log" 2>&1 || true
            [ -s "$out" ] || { cat "$out.log" >&2; echo "soak-compare: $side on cores $cores wrote no report" >&2; exit 1; }
            python3 - "$out" "$load" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
report["loadAverageBefore"] = sys.argv[2]
json.dump(report, open(sys.argv[1], "w"), indent=1, sort_keys=True)
EOF
        done
    done
done

python3 - "$results" "$base" "$seconds" <<'EOF'
import glob, json, os, statistics, sys
results, base, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
runs = []
for path in sorted(glob.glob(os.path.join(results, "*-cores*-round*.json"))):
    side, cores, round_ = os.path.basename(path)[:-5].split("-")
    report = json.load(open(path))
    runs.append({"side": side, "cores": cores[5:], "round": int(round_[5:]), "callsPerSecond": report["callsPerSecond"],
                 "retrieveP50ms": report["retrieveTools"]["p50ms"], "retrieveP99ms": report["retrieveTools"]["p99ms"],
                 "loadAverageBefore": report["loadAverageBefore"]})
print(f"{'side':5} {'cores':5} {'round':5} {'calls/s':>9} {'retrieve p50':>13} {'p99':>9}  load before")
for run in sorted(runs, key=lambda r: (r["cores"], r["round"], r["side"])):
    print(f"{run['side']:5} {run['cores']:5} {run['round']:5} {run['callsPerSecond']:9.0f} {run['retrieveP50ms']:10.2f} ms "
          f"{run['retrieveP99ms']:6.1f} ms  {run['loadAverageBefore']}")
summary = {"base": base, "seconds": int(seconds), "runs": runs, "ratios": {}}
for cores in sorted({r["cores"] for r in runs}):
    def median(side):
        return statistics.median(r["callsPerSecond"] for r in runs if r["cores"] == cores and r["side"] == side)
    ratio = median("new") / median("base")
    summary["ratios"][cores] = ratio
    print(f"cores {cores}: median calls/s new {median('new'):.0f} / base {median('base'):.0f} = {ratio:.2f}x")
json.dump(summary, open(os.path.join(results, "summary.json"), "w"), indent=1)
EOF
