#!/usr/bin/env bash
# What retrieval records cost: RouterBench --records serves the 10,000-tool recombined catalogue
# (metatool and toollens tool texts) with records and without, each gantry on its own store file,
# calls alternating (each first for half the queries), and prints both p50s; then this script
# reads the recorded store with SQLite's dbstat and prints the bytes per retrieval (its row and
# its time index), per distinct query, and per distinct (user, team, session).
# Needs ../shared/datasets/{metatool,toollens} and the sqlite3 command (apt-get install sqlite3).
#
# Usage: Benchmarks/compare/retrieval-records.sh [rounds, default 4]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
shared="$root/../shared/datasets"
work="$here/../.build/compare/records"
mkdir -p "$work"
command -v sqlite3 > /dev/null || { echo "needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 1; }
(cd "$here/.." && swift build -c release --product RouterBench > /dev/null)
"$here/../.build/release/RouterBench" --metatool "$shared/metatool" --toollens "$shared/toollens" \
  --vectors "$work/vectors.npy" --rounds "${1:-4}" --records "$work/stores"
store="$work/stores/recorded.sqlite"
sqlite3 "$store" "
  SELECT 'bytes per retrieval: ' || printf('%.1f', (SELECT sum(pgsize) FROM dbstat WHERE name IN ('retrieval', 'retrievalAt')) * 1.0
                                                   / (SELECT count(*) FROM retrieval))
         || ' (' || (SELECT count(*) FROM retrieval) || ' retrievals)';
  SELECT 'bytes per distinct query: ' || printf('%.1f', (SELECT sum(pgsize) FROM dbstat WHERE name IN ('retrievalQuery', 'retrievalQueryLastUsed')) * 1.0
                                                       / (SELECT count(*) FROM retrievalQuery))
         || ' (' || (SELECT count(*) FROM retrievalQuery) || ' queries)';
  SELECT 'bytes per distinct context: ' || printf('%.1f', (SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'retrievalContext%') * 1.0
                                                         / (SELECT count(*) FROM retrievalContext))
         || ' (' || (SELECT count(*) FROM retrievalContext) || ' contexts)';
"
