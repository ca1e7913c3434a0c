"""Prints the JSON lines of IndexCompare and index_peers.py (one run) as tables with our ratio to
each peer. Usage: python report.py results.jsonl"""
import json
import sys
from collections import defaultdict


def qps_at_recall(rows, target, key):
    """QPS at `target` recall, interpolated linearly between the two ef settings around it
    (None when no setting reaches it)."""
    rows = sorted(rows, key=lambda r: r["recall"])
    for lower, upper in zip(rows, rows[1:]):
        if lower["recall"] < target <= upper["recall"]:
            t = (target - lower["recall"]) / (upper["recall"] - lower["recall"])
            return lower[key] + t * (upper[key] - lower[key])
    if rows and rows[0]["recall"] >= target:
        return max(r[key] for r in rows)
    return None


def fmt(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"


def ratio(ours, peer, invert=False):
    if ours is None or peer is None or peer == 0 or ours == 0:
        return "—"
    return f"{(peer / ours if invert else ours / peer):.2f}×"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
    groups = defaultdict(list)
    for r in rows:
        groups[(r["dataset"], r["threads"])].append(r)
    for (dataset, threads), rs in sorted(groups.items()):
        kernels = next((r["blas_kernels"] for r in rs if "blas_kernels" in r), "?")
        print(f"\n### {dataset}, n = {rs[0]['n']:,}, {threads} thread(s) (OpenBLAS {kernels} kernels)\n")
        flats = {r["library"]: r for r in rs if r["index"] == "flat"}
        if flats:
            ours, faiss = flats.get("AgentGantry"), flats.get("FAISS")
            print("| flat | single-query QPS | batch QPS (all queries at once) | memory MB |")
            print("|---|---|---|---|")
            for name, r in flats.items():
                print(f"| {name} | {fmt(r['qps_single'])} | {fmt(r['qps_batch'])} | {fmt(r['memory_mb'], 1)} |")
            if ours and faiss:
                print(f"| **ours ÷ FAISS** | **{ratio(ours['qps_single'], faiss['qps_single'])}** | "
                      f"**{ratio(ours['qps_batch'], faiss['qps_batch'])}** | |")
            print()
        hnsw = defaultdict(list)
        for r in rs:
            if r["index"] == "hnsw":
                hnsw[r["library"]].append(r)
        if not hnsw:
            continue
        print("| HNSW | build s | memory MB | QPS @ R=0.95 (1 query) | QPS @ R=0.99 (1 query) | batch QPS @ R=0.95 | recall by ef |")
        print("|---|---|---|---|---|---|---|")
        summary = {}
        for name, lib in hnsw.items():
            lib.sort(key=lambda r: r["ef"])
            s95, s99 = qps_at_recall(lib, 0.95, "qps_single"), qps_at_recall(lib, 0.99, "qps_single")
            b95 = qps_at_recall(lib, 0.95, "qps_batch")
            summary[name] = (lib[0]["build_s"], lib[0]["memory_mb"], s95, s99, b95)
            curve = " ".join(f"{r['ef']}:{r['recall']:.3f}" for r in lib)
            print(f"| {name} | {lib[0]['build_s']:.1f} | {lib[0]['memory_mb']:.1f} | {fmt(s95)} | {fmt(s99)} | {fmt(b95)} | {curve} |")
        ours = summary.get("AgentGantry")
        if ours:
            for name, peer in summary.items():
                if name == "AgentGantry":
                    continue
                print(f"| **ours vs {name}** | {ratio(ours[0], peer[0], invert=True)} faster | {ratio(ours[1], peer[1])} of its | "
                      f"{ratio(ours[2], peer[2])} | {ratio(ours[3], peer[3])} | {ratio(ours[4], peer[4])} | |")


if __name__ == "__main__":
    main()
