"""The peer side of run-encoder-compare.sh: sentence-transformers (PyTorch CPU) on the same texts,
same protocol as EncoderCompare (one warm-up pass, then whole passes for at least --seconds).

Usage: python encoder_peers.py --texts texts.json --model DIR --threads T [--batches 1,32] [--seconds 3]
"""
import argparse
import json
import os
import resource
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--seconds", type=float, default=3)
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    from sentence_transformers import SentenceTransformer
    start_rss = rss_mb()
    model = SentenceTransformer(a.model, device="cpu")
    loaded_rss = rss_mb()
    sets = json.load(open(a.texts))
    for batch in [int(b) for b in a.batches.split(",")]:
        for name, texts in sorted(sets.items()):
            tokens = sum(len(model.tokenizer(t, truncation=True, max_length=256)["input_ids"]) for t in texts)

            def run():
                model.encode(texts, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True,
                             show_progress_bar=False)

            with torch.inference_mode():
                run()
                passes, t0 = 0, time.perf_counter()
                while True:
                    run()
                    passes += 1
                    if time.perf_counter() - t0 >= a.seconds:
                        break
            elapsed = time.perf_counter() - t0
            sentences = passes * len(texts) / elapsed
            print(json.dumps({
                "library": "sentence-transformers", "set": name, "batch": batch, "threads": a.threads,
                "texts": len(texts), "mean_tokens": tokens / len(texts), "sentences_per_second": sentences,
                "tokens_per_second": sentences * tokens / len(texts),
                "rss_start_mb": start_rss, "rss_loaded_mb": loaded_rss,
                "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "torch": torch.__version__, "torch_simd": torch.backends.cpu.get_cpu_capability(),
            }, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
