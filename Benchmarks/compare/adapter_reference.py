"""A PyTorch reference of AgentGantry's adapter trainer, for side-by-side quality and speed.

Same model and loss as GantryAdapt's TripletTrainer: q' = normalize(q + (q Vᵀ) U), tools
t' = normalize(t + (t Vᵀ) U + b_t) (both sides, a learned offset per tool), triplet margin loss on
cosine similarity, mean over the batch's triplets; per (query, positive) pair the `hard` best-
scoring wrong tools under the current adapter (re-mined every epoch) plus `random` random ones;
AdamW with cosine decay to 5% of the learning rate; 10% of the training queries held out for
validation; a running average of the parameters (decay 0.999 per step, blended every 4th step)
competes with them at each epoch's end; the best validation checkpoint is kept (patience 8); the
identity when nothing beats it.
Differences: PyTorch's AdamW updates every offset row each step (ours only the rows in the batch)
and the random streams differ (NumPy vs SplitMix64).

Usage: python adapter_reference.py --dataset DIR [--rank 32 --epochs 30 --batch 256 --lr 1e-3
       --threads 1 --seed 0]; prints one JSON line (test metrics, triplets/s, seconds).
"""
import argparse
import json
import math
import time

import numpy as np
import torch


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def metrics(rankings, relevant):
    out = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0, "comp@5": 0.0}
    for ranking, correct in zip(rankings, relevant):
        correct = set(correct)
        for k in (1, 5, 10):
            out[f"recall@{k}"] += len(correct & set(ranking[:k])) / len(correct)
        first = next((i for i, t in enumerate(ranking[:10]) if t in correct), None)
        out["mrr@10"] += 0 if first is None else 1 / (first + 1)
        dcg = sum(1 / math.log2(i + 2) for i, t in enumerate(ranking[:10]) if t in correct)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(correct), 10)))
        out["ndcg@10"] += dcg / ideal
        out["comp@5"] += 1.0 if correct <= set(ranking[:5]) else 0.0
    n = max(len(rankings), 1)
    return {k: v / n for k, v in out.items()} | {"queries": len(rankings)}


class Adapter(torch.nn.Module):
    def __init__(self, d, r, n_tools, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.down = torch.nn.Parameter(torch.randn(r, d, generator=g) / math.sqrt(d))
        self.up = torch.nn.Parameter(torch.zeros(r, d))
        self.offsets = torch.nn.Parameter(torch.zeros(n_tools, d))

    def queries(self, x):
        return torch.nn.functional.normalize(x + (x @ self.down.T) @ self.up, dim=1)

    def tools(self, t, rows):
        return torch.nn.functional.normalize(t + (t @ self.down.T) @ self.up + self.offsets[rows], dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--margin", type=float, default=0.2)
    ap.add_argument("--hard", type=int, default=4)
    ap.add_argument("--random", type=int, default=1)
    ap.add_argument("--patience", type=int, default=8)
    ap.add_argument("--averaging", type=float, default=0.999)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)

    tools_meta = read_jsonl(a.dataset + "/tools.jsonl")
    queries_meta = read_jsonl(a.dataset + "/queries.jsonl")
    index = {t["id"]: i for i, t in enumerate(tools_meta)}
    tools = torch.from_numpy(np.load(a.dataset + "/tools.npy"))
    queries = torch.from_numpy(np.load(a.dataset + "/queries.npy"))
    labels = [[index[t] for t in q["tools"]] for q in queries_meta]
    train = [i for i, q in enumerate(queries_meta) if q["split"] == "train"]
    test = [i for i, q in enumerate(queries_meta) if q["split"] == "test"]
    order = rng.permutation(len(train))
    n_val = max(1, round(0.1 * len(train)))
    validation = sorted(train[i] for i in order[:n_val])
    training = sorted(train[i] for i in order[n_val:])
    d, n_tools = tools.shape[1], tools.shape[0]
    all_rows = torch.arange(n_tools)

    model = Adapter(d, a.rank, n_tools, a.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)

    def rank(model, rows, k=10):
        with torch.no_grad():
            scores = model.queries(queries[rows]) @ model.tools(tools, all_rows).T
            return scores.topk(k, dim=1).indices.tolist()

    def evaluate(model, rows):
        return metrics(rank(model, rows), [labels[i] for i in rows])

    best = (evaluate(model, validation)["mrr@10"], {k: v.clone() for k, v in model.state_dict().items()}, 0)
    average = {k: v.clone() for k, v in model.state_dict().items()}
    keep = a.averaging ** 4
    steps = 0
    step_seconds, triplets_done, since_best = 0.0, 0, 0
    started = time.perf_counter()
    for epoch in range(1, a.epochs + 1):
        mined = rank(model, training, k=min(n_tools, a.hard + max(len(labels[i]) for i in training)))
        anchors = []
        for slot, q in enumerate(training):
            correct = set(labels[q])
            negatives = [t for t in mined[slot] if t not in correct][: a.hard]
            while len(negatives) < a.hard + a.random:
                t = int(rng.integers(n_tools))
                if t not in correct:
                    negatives.append(t)
            anchors += [(q, p, negatives) for p in labels[q]]
        order = rng.permutation(len(anchors))
        start = 0
        while start < len(order):
            batch_q, trip_a, trip_p, trip_n = [], [], [], []
            while start < len(order) and len(trip_a) < a.batch:
                q, p, negs = anchors[order[start]]
                slot = len(batch_q)
                batch_q.append(q)
                trip_a += [slot] * len(negs)
                trip_p += [p] * len(negs)
                trip_n += negs
                start += 1
            progress = (epoch - 1 + start / len(order)) / a.epochs
            for group in optimizer.param_groups:
                group["lr"] = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
            t0 = time.perf_counter()
            batch_tools = torch.tensor(sorted(set(trip_p) | set(trip_n)))
            slot_of = torch.full((n_tools,), -1, dtype=torch.long)
            slot_of[batch_tools] = torch.arange(len(batch_tools))
            qa = model.queries(queries[torch.tensor(batch_q)])
            ta = model.tools(tools[batch_tools], batch_tools)
            ia = torch.tensor(trip_a)
            ip, ineg = slot_of[torch.tensor(trip_p)], slot_of[torch.tensor(trip_n)]
            loss = torch.relu(a.margin - (qa[ia] * ta[ip]).sum(1) + (qa[ia] * ta[ineg]).sum(1)).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
            if a.averaging > 0 and steps % 4 == 0:
                with torch.no_grad():
                    for k, v in model.state_dict().items():
                        average[k].mul_(keep).add_(v, alpha=1 - keep)
            step_seconds += time.perf_counter() - t0
            triplets_done += len(trip_a)
        mrr = evaluate(model, validation)["mrr@10"]
        state = {k: v.clone() for k, v in model.state_dict().items()}
        if a.averaging > 0:
            raw = state
            model.load_state_dict(average)
            averaged_mrr = evaluate(model, validation)["mrr@10"]
            if averaged_mrr > mrr:
                mrr, state = averaged_mrr, {k: v.clone() for k, v in average.items()}
            model.load_state_dict(raw)
        if mrr > best[0]:
            best = (mrr, state, epoch)
            since_best = 0
        else:
            since_best += 1
            if since_best >= a.patience:
                break
    model.load_state_dict(best[1])
    print(json.dumps({
        "library": "PyTorch " + torch.__version__, "threads": a.threads, "rank": a.rank, "batch": a.batch,
        "best_epoch": best[2], "validation_mrr@10": best[0], "test": evaluate(model, test),
        "triplets_per_second": triplets_done / step_seconds, "seconds": time.perf_counter() - started,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
