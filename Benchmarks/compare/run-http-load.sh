#!/usr/bin/env bash
# `gantry serve` under open-loop load (http_load.py), encoder included: a release server on a
# SQLite store folder, one tenant, 10,000 tools recombined from the metatool and toollens tool
# texts (the seeded catalogue of Benchmarks/Sources/BenchmarkCatalogue, written by LexicalBench)
# registered over HTTP; then the 2,000 metatool test queries: one pass with every query new (the
# encoder runs for each), then cycled (the query cache answers repeats) at 100, 200 and 300
# retrievals a second (30 s each), 300 a second with 1,000 linked reports a second mixed in, and
# rising rates until p99 passes 10 ms or a request fails; last, 6,000 other new queries at 300 a
# second. One JSON line per run, then the host's sgemm figure.
#
#   Benchmarks/compare/run-http-load.sh [--datasets ../shared/datasets] [--seconds 30]
#   Benchmarks/compare/run-http-load.sh --smoke      (CI: datasets/support-desk, 10 s, asserts no error)
#   Benchmarks/compare/run-http-load.sh --alternate N [--seconds 15]
#
# --alternate N: after the cold pass, N rounds of 300 retrievals/s without and then with 1,000
# linked reports/s (what the reports cost the retrievals, measured side by side), each line with
# the server's CPU seconds over that phase (`server_cpu_seconds`, from /proc: what the reports
# cost the server).
set -euo pipefail
cd "$(dirname "$0")/../.."
datasets=../shared/datasets
seconds=30
smoke=0
alternate=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --datasets) datasets="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    --alternate) alternate="$2"; shift 2 ;;
    *) echo "usage: run-http-load.sh [--datasets DIR] [--seconds S] [--smoke | --alternate ROUNDS]" >&2; exit 64 ;;
  esac
done

swift build -c release --product gantry > /dev/null
gantry=.build/release/gantry
work="$(mktemp -d /tmp/gantry-http-load.XXXXXX)"
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [[ $smoke == 1 ]]; then
  cp datasets/support-desk/queries.jsonl "$work/queries.jsonl"
  python3 - "$work/tools.json" <<'EOF'
import json, sys
tools = [json.loads(line) for line in open("datasets/support-desk/tools.jsonl")]
json.dump({"tools": [{k: t[k] for k in ("name", "description", "tags", "parameters") if k in t} for t in tools]}, open(sys.argv[1], "w"))
EOF
else
  (cd Benchmarks && swift build -c release --product LexicalBench > /dev/null &&
   .build/release/LexicalBench --metatool "../$datasets/metatool" --toollens "../$datasets/toollens" --write "$work" > /dev/null)
  python3 - "$work" <<'EOF'
import json, sys
folder = sys.argv[1]
tools = [json.loads(line) for line in open(f"{folder}/catalogue.jsonl")]
for start in range(0, len(tools), 1000):
    # Tool names may not hold spaces: toollens endpoints' names do ("Store Groceries / Search").
    chunk = [{"name": t["name"].replace(" ", "_"), "description": t["text"]} for t in tools[start:start + 1000]]
    json.dump({"tools": chunk}, open(f"{folder}/tools-{start // 1000:02d}.json", "w"))
EOF
fi

token="$($gantry token --tenant load --tokens "$work/tokens.json")"
$gantry serve --store "$work/stores" --tokens "$work/tokens.json" --port 0 --rate-limit 100000000/s --body-limit-kib 16384 > "$work/out" 2> "$work/log" &
server=$!
for _ in $(seq 1 600); do grep -q "listening on" "$work/out" && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.]*:[0-9]*' "$work/out")"
for file in "$work"/tools*.json; do
  curl -sSf -X POST "$url/v1/tools" -H "Authorization: Bearer $token" --data-binary @"$file" > /dev/null
done

load() { python3 Benchmarks/compare/http_load.py --url "$url" --token "$token" --queries "$work/queries.jsonl" "$@"; }
if [[ $smoke == 1 ]]; then
  load --rate 50 --reports 100 --seconds 10
  exit
fi
# Every query new (the encoder runs for each): one pass over the 2,000 queries at 100 a second.
load --rate 100 --seconds 20 --allow-errors --label "cold: every query new"
if [[ $alternate -gt 0 ]]; then
  ticks="$(getconf CLK_TCK)"
  cpu() { awk -v ticks="$ticks" '{ print ($14 + $15) / ticks }' "/proc/$server/stat"; }  # user + system
  for round in $(seq 1 "$alternate"); do
    for reports in 0 1000; do
      before="$(cpu)"
      line="$(load --rate 300 --reports "$reports" --seconds "$seconds" --allow-errors --label "round $round, $reports reports a second")"
      python3 -c 'import json, sys; line = json.loads(sys.argv[1]); line["server_cpu_seconds"] = round(float(sys.argv[3]) - float(sys.argv[2]), 2); print(json.dumps(line))' \
        "$line" "$before" "$(cpu)"
    done
  done
  exit
fi
# Then the query cache holds them (agents repeat requests): what a server mostly does.
for rate in 100 200 300; do load --rate "$rate" --seconds "$seconds" --allow-errors --label warm; done
load --rate 300 --seconds "$seconds" --allow-errors --label "warm, before the reports"
load --rate 300 --reports 1000 --seconds "$seconds" --allow-errors --label "warm, 1,000 reports a second"
# Which reports cost the retrievals: selections only (stored), linked successes only (stored, then folded).
load --rate 300 --reports 1000 --seconds "$seconds" --allow-errors --report-kinds selection --label "warm, 1,000 selections a second"
load --rate 300 --reports 1000 --seconds "$seconds" --allow-errors --report-kinds execution --label "warm, 1,000 linked successes a second"
load --rate 300 --seconds "$seconds" --allow-errors --label "warm, after the reports"
for rate in 400 500 600 800 1000 1200 1500; do
  line="$(load --rate "$rate" --seconds "$seconds" --allow-errors --label "warm, rising")"
  echo "$line"
  python3 -c "import json,sys; r=json.loads(sys.argv[1])['retrieve']; sys.exit(0 if r['errors'] == 0 and r['p99_ms'] <= 10 else 1)" "$line" || break
done
# Every query new at 300 a second: 6,000 other MetaTool queries (its other splits, seeded order);
# last, as they push the test queries out of the query cache (4,096 entries).
python3 - "$datasets/metatool/queries.jsonl" "$work/queries.jsonl" "$work/new-queries.jsonl" <<'EOF'
import json, random, sys
asked = {json.loads(line)["text"] for line in open(sys.argv[2]) if line.strip()}
others = sorted({json.loads(line)["text"] for line in open(sys.argv[1]) if line.strip()} - asked)
random.Random(11).shuffle(others)
with open(sys.argv[3], "w") as out:
    for text in others[:6000]:
        out.write(json.dumps({"text": text}) + "\n")
EOF
load --queries "$work/new-queries.jsonl" --rate 300 --seconds 20 --allow-errors --label "cold at 300/s: every query new"
if gcc -O2 Benchmarks/compare/openblas_sgemm.c -o "$work/sgemm" -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas 2> /dev/null; then
  echo "{\"sgemm_1024_one_core\": \"$(OPENBLAS_NUM_THREADS=1 "$work/sgemm" 1024 1024 1024 | tail -1)\"}"
fi
