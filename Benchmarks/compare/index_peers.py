"""The peers' side of run-index-compare.sh: FAISS IndexFlatIP and one HNSW library per process
(FAISS IndexHNSWFlat, hnswlib or USearch) on the same .npy files and parameters as IndexCompare,
printing the same JSON lines.

python index_peers.py --data X.npy --queries Q.npy --threads T [--m 16 --ef-construction 200
                      --ef 10,16,32,64,128,256 --k 10 --kinds flat,hnsw --label NAME]
"""
import argparse
import json
import os
import time

import numpy as np


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def single_qps(queries, search, budget=2.0):
    done, start = 0, time.perf_counter()
    while True:
        for i in range(len(queries)):
            search(queries[i : i + 1])
            done += 1
            if i % 16 == 15 and time.perf_counter() - start > budget:
                return done / (time.perf_counter() - start)
        if time.perf_counter() - start > budget / 4:
            return done / (time.perf_counter() - start)


def recall(found, exact):
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)]))


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="10,16,32,64,128,256")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--kinds", default="flat,hnsw")
    p.add_argument("--label", default="")
    p.add_argument("--libraries", default="faiss", help="the HNSW library of this process: faiss, hnswlib or usearch")
    a = p.parse_args()
    data, queries = np.load(a.data), np.load(a.queries)
    n, d = data.shape
    efs = [int(x) for x in a.ef.split(",")]
    kinds, libraries = a.kinds.split(","), a.libraries.split(",")
    common = dict(threads=a.threads, dataset=a.label, n=n)

    import faiss

    faiss.omp_set_num_threads(a.threads)
    # Each library runs in its own process (run-index-compare.sh), so the resident-memory
    # growth around its build is its own. The exact answers come after the build.
    hnsw_rows = []
    if "hnsw" in kinds:
        library = libraries[0]
        before, start = resident_bytes(), time.perf_counter()
        if library == "faiss":
            index = faiss.IndexHNSWFlat(d, a.m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = a.ef_construction
            index.add(data)

            def set_ef(ef):
                index.hnsw.efSearch = ef

            batch_search = lambda q: index.search(q, a.k)[1]
            one = lambda q: index.search(q, a.k)
            name = "FAISS"
        elif library == "hnswlib":
            import hnswlib

            index = hnswlib.Index(space="ip", dim=d)
            index.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=42)
            index.add_items(data, num_threads=a.threads)
            set_ef = index.set_ef
            batch_search = lambda q: index.knn_query(q, k=a.k, num_threads=a.threads)[0]
            one = lambda q: index.knn_query(q, k=a.k, num_threads=1)
            name = "hnswlib"
        else:
            from usearch.index import Index

            index = Index(ndim=d, metric="ip", dtype="f32", connectivity=a.m, expansion_add=a.ef_construction)
            index.add(np.arange(n), data, threads=a.threads)

            def set_ef(ef):
                index.expansion_search = ef

            batch_search = lambda q: index.search(q, a.k, threads=a.threads).keys
            one = lambda q: index.search(q[0], a.k)
            name = "USearch"
        build, memory = time.perf_counter() - start, resident_bytes() - before
        for ef in efs:
            set_ef(ef)
            start = time.perf_counter()
            found = batch_search(queries)
            batch = len(queries) / (time.perf_counter() - start)
            single = single_qps(queries, one, budget=1.0)
            hnsw_rows.append(dict(library=name, index="hnsw", ef=ef, build_s=build, memory_mb=memory / 1e6,
                                  qps_single=single, qps_batch=batch, found=found))

    before, start = resident_bytes(), time.perf_counter()
    flat = faiss.IndexFlatIP(d)
    flat.add(data)
    build, memory = time.perf_counter() - start, resident_bytes() - before
    start = time.perf_counter()
    _, exact = flat.search(queries, a.k)
    batch = len(queries) / (time.perf_counter() - start)
    if "flat" in kinds:
        single = single_qps(queries, lambda q: flat.search(q, a.k))
        emit(library="FAISS", index="flat", build_s=build, memory_mb=memory / 1e6, recall=1.0,
             qps_single=single, qps_batch=batch, **common)
    for row in hnsw_rows:
        found = row.pop("found")
        emit(recall=recall(found, exact), **row, **common)


if __name__ == "__main__":
    main()
