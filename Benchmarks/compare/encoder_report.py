"""Prints the JSON lines of EncoderCompare and encoder_peers.py (one run) as a
Markdown table: our sentences/s per weight precision, sentence-transformers', ONNX Runtime's float
and 8-bit, and our ratios to sentence-transformers (float; ours at fp32 and at bf16, the default
where AMX runs it) and to ONNX Runtime 8-bit (ours at 8 bits). Usage: python encoder_report.py
encoder.jsonl"""
import json
import sys


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]

    def table(library):
        return {(r["set"], r["batch"], r["threads"], r.get("precision", "fp32")): r for r in rows if r["library"] == library}

    ours, st, ort = table("AgentGantry"), table("sentence-transformers"), table("onnxruntime")
    kernels = next((r["blas_kernels"] for r in ours.values()), "?")
    torch = next((f'{r["torch"]} ({r["torch_simd"]})' for r in st.values()), "?")
    onnx = next((r["onnxruntime"] for r in ort.values()), "not run")
    print(f"\nOpenBLAS {kernels} kernels; PyTorch {torch}; ONNX Runtime {onnx}\n")
    print("| texts | batch | threads | ours fp32 | ours bf16 | ours int8 | sentence-transformers | ORT fp32 | ORT int8 "
          "| fp32 / s-t | bf16 / s-t | int8 / ORT int8 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")

    def rate(table, key, precision):
        row = table.get(key + (precision,))
        return row["sentences_per_second"] if row else None

    def cell(value):
        return f"{value:,.0f}" if value else "—"

    def ratio(a, b):
        return f"**{a / b:.2f}×**" if a and b else "—"

    keys = sorted({k[:3] for k in ours}, key=lambda k: (k[0] != "short", k[1], k[2]))
    for key in keys:
        mean_tokens = next(r["mean_tokens"] for k, r in ours.items() if k[:3] == key)
        values = [rate(ours, key, "fp32"), rate(ours, key, "bf16"), rate(ours, key, "int8"), rate(st, key, "fp32"),
                  rate(ort, key, "fp32"), rate(ort, key, "int8")]
        print(f"| {key[0]} (~{mean_tokens:.0f} tokens) | {key[1]} | {key[2]} | " + " | ".join(map(cell, values))
              + f" | {ratio(values[0], values[3])} | {ratio(values[1], values[3])} | {ratio(values[2], values[5])} |")
    for precision in ("fp32", "int8"):
        cosines = [r["min_cosine"] for k, r in ort.items() if k[3] == precision]
        if cosines:
            print(f"\nONNX Runtime {precision}: lowest cosine to sentence-transformers {min(cosines):.5f}")
    peak_ours = max(r["rss_peak_mb"] for r in ours.values())
    peak_peer = max((r["rss_peak_mb"] for r in st.values()), default=0)
    loaded = max(r["rss_loaded_mb"] - r["rss_start_mb"] for r in ours.values())
    print(f"\nResident memory: AgentGantry peak {peak_ours:.0f} MB (the largest model load added {loaded:.0f} MB); "
          f"sentence-transformers peak {peak_peer:.0f} MB.")


if __name__ == "__main__":
    main()
