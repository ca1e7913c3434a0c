"""The texts of the encoder comparisons (run-encoder-compare.sh, run-encoder-loaded.sh): real
MetaTool queries chosen by token count (seeded): "short" = 256 queries of 12-13 tokens, "long" =
192 texts of 57-63 tokens (the length of a tool description with its parameters).

python encoder_texts.py QUERIES.jsonl TOKENIZER.json OUT.json
"""
import json
import random
import sys

from tokenizers import Tokenizer

tokenizer = Tokenizer.from_file(sys.argv[2])
tokenizer.no_padding()
tokenizer.no_truncation()
queries = [json.loads(line)["text"] for line in open(sys.argv[1]) if line.strip()]


def pick(low, high, count):
    chosen = [q for q in queries if low <= len(tokenizer.encode(q).ids) <= high]
    random.Random(7).shuffle(chosen)
    return chosen[:count]


json.dump({"short": pick(12, 13, 256), "long": pick(57, 63, 192)}, open(sys.argv[3], "w"))
