"""The peer side of run-encoder-compare.sh, on the same texts with the same protocol as
EncoderCompare (one warm-up pass, then whole passes for at least --seconds):

- sentence-transformers (PyTorch CPU);
- with --onnx-work DIR, ONNX Runtime: the same model exported to ONNX (float) and dynamically
  quantised to 8 bits (`quant_pre_process`, then `quantize_dynamic` with signed weights per output
  channel: the strongest CPU setup a user would pick), both made once in DIR; mean pooling over
  the attention mask and L2 normalisation as sentence-transformers does. Each of its lines also
  gives the lowest and mean cosine of its vectors against sentence-transformers' on the set.

Usage: python encoder_peers.py --texts texts.json --model DIR --threads T [--batches 1,32] [--seconds 3] [--onnx-work DIR]
"""
import argparse
import json
import os
import resource
import time

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def export(model_dir, work):
    """model.onnx (float) and model-int8.onnx in `work`, made once."""
    work = os.path.abspath(work)
    fp32, int8 = os.path.join(work, "model.onnx"), os.path.join(work, "model-int8.onnx")
    if not os.path.exists(fp32):
        import torch
        from transformers import AutoModel
        class Encoder(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        model = Encoder(AutoModel.from_pretrained(model_dir).eval())
        ids = torch.ones(1, 8, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(model, (ids, ids, torch.zeros_like(ids)), fp32 + ".part", dynamo=False,
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "last_hidden_state": axes})
        os.replace(fp32 + ".part", fp32)
    if not os.path.exists(int8):
        # The pre-processing ONNX Runtime's quantisation guide asks for (shape inference, graph
        # optimisation), then the quantisation.
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.shape_inference import quant_pre_process
        prepared = os.path.join(work, "model-prepared.onnx")
        # It leaves temporary files (some of 90 MB) in the current folder: run it in `work`.
        here = os.getcwd()
        os.chdir(work)
        try:
            quant_pre_process(fp32, prepared, skip_symbolic_shape=True)
        finally:
            os.chdir(here)
        quantize_dynamic(prepared, int8 + ".part", weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8 + ".part", int8)
    return {"fp32": fp32, "int8": int8}


def measure(run, seconds):
    """Passes per second of `run`: one warm-up pass, then whole passes for at least `seconds`."""
    run()
    passes, t0 = 0, time.perf_counter()
    while True:
        run()
        passes += 1
        if time.perf_counter() - t0 >= seconds:
            return passes / (time.perf_counter() - t0)


def onnxruntime_lines(a, sets, expected):
    """One JSON line per ONNX Runtime variant, batch size and set."""
    import onnxruntime as ort
    from tokenizers import Tokenizer
    paths = export(a.model, a.onnx_work)
    tokenizer = Tokenizer.from_file(os.path.join(a.model, "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    for precision, path in paths.items():
        options = ort.SessionOptions()
        options.intra_op_num_threads = a.threads
        options.inter_op_num_threads = 1
        start_rss = rss_mb()
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        loaded_rss = rss_mb()

        def embed(texts, batch):
            out = []
            for i in range(0, len(texts), batch):
                encodings = tokenizer.encode_batch(texts[i:i + batch])
                ids = np.array([e.ids for e in encodings], dtype=np.int64)
                mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
                hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
                pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
                out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
            return np.concatenate(out)

        for batch in [int(b) for b in a.batches.split(",")]:
            for name, texts in sorted(sets.items()):
                tokens = sum(sum(e.attention_mask) for e in tokenizer.encode_batch(texts))
                cosines = (embed(texts, batch) * expected[name]).sum(1)
                sentences = measure(lambda: embed(texts, batch), a.seconds) * len(texts)
                yield {
                    "library": "onnxruntime", "precision": precision, "set": name, "batch": batch, "threads": a.threads,
                    "texts": len(texts), "mean_tokens": tokens / len(texts), "sentences_per_second": sentences,
                    "tokens_per_second": sentences * tokens / len(texts),
                    "min_cosine": float(cosines.min()), "mean_cosine": float(cosines.mean()),
                    "rss_start_mb": start_rss, "rss_loaded_mb": loaded_rss,
                    "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "onnxruntime": ort.__version__,
                }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--onnx-work")
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
                sentences = measure(run, a.seconds) * len(texts)
            print(json.dumps({
                "library": "sentence-transformers", "set": name, "batch": batch, "threads": a.threads,
                "texts": len(texts), "mean_tokens": tokens / len(texts), "sentences_per_second": sentences,
                "tokens_per_second": sentences * tokens / len(texts),
                "rss_start_mb": start_rss, "rss_loaded_mb": loaded_rss,
                "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "torch": torch.__version__, "torch_simd": torch.backends.cpu.get_cpu_capability(),
            }, sort_keys=True), flush=True)
    if a.onnx_work:
        expected = {name: model.encode(texts, batch_size=32, normalize_embeddings=True) for name, texts in sets.items()}
        for line in onnxruntime_lines(a, sets, expected):
            print(json.dumps(line, sort_keys=True), flush=True)


if __name__ == "__main__":
    main()
