"""Prints the JSON lines of EncoderCompare and encoder_peers.py (one run) as a Markdown table with
our ratio to sentence-transformers. Usage: python encoder_report.py encoder.jsonl"""
import json
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
    ours = {(r["set"], r["batch"], r["threads"]): r for r in rows if r["library"] == "AgentGantry"}
    peer = {(r["set"], r["batch"], r["threads"]): r for r in rows if r["library"] == "sentence-transformers"}
    kernels = next((r["blas_kernels"] for r in ours.values()), "?")
    torch = next((f'{r["torch"]} ({r["torch_simd"]})' for r in peer.values()), "?")
    print(f"\nOpenBLAS {kernels} kernels; PyTorch {torch}\n")
    print("| texts | batch | threads | AgentGantry sent./s | GFLOP/s | sentence-transformers sent./s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for key in sorted(ours, key=lambda k: (k[0] != "short", k[1], k[2])):
        o, p = ours[key], peer.get(key)
        ratio = f"**{o['sentences_per_second'] / p['sentences_per_second']:.2f}×**" if p else "—"
        name = f"{key[0]} (~{o['mean_tokens']:.0f} tokens)"
        print(f"| {name} | {key[1]} | {key[2]} | {o['sentences_per_second']:,.0f} | {o['gflops']:.0f} | "
              f"{p['sentences_per_second'] if p else 0:,.0f} | {ratio} |")
    peak_ours = max(r["rss_peak_mb"] for r in ours.values())
    peak_peer = max((r["rss_peak_mb"] for r in peer.values()), default=0)
    loaded = max(r["rss_loaded_mb"] - r["rss_start_mb"] for r in ours.values())
    print(f"\nResident memory: AgentGantry peak {peak_ours:.0f} MB (model load added {loaded:.0f} MB); "
          f"sentence-transformers peak {peak_peer:.0f} MB.")


if __name__ == "__main__":
    main()
