#!/usr/bin/env python3
"""Independent cross-check of the Bigram-Backcopy sink result (issue #5, docs/results.md).

sinkscope's softmax models learn Bigram-Backcopy exactly but grow no attention sink. To rule out a
bug in sinkscope's trainer or attention, this trains the plain PyTorch-eager model of
train_baseline.py (same architecture, AdamW, schedule) on the *same* training sequences, written by
`sinkscope data sample CONFIG --split train`, and measures the attention on BOS at non-trigger and
trigger positions of validation sequences, per layer, as `sinkscope eval backcopy` does.

Usage (Debian python3-torch):
  sinkscope data sample configs/train/bb-softmax.json --split train -n 51200 --length 129 --out train.txt
  sinkscope data sample configs/train/bb-softmax.json --split validation -n 64 --length 128 --out val.txt
  bb_crosscheck.py configs/train/bb-softmax.json train.txt val.txt --triggers 31,45,50
The trigger ids are printed by `sinkscope data sample` in its description (table_seed 0: 31,45,50).
"""
import argparse
import json
import math

import torch
import torch.nn.functional as F

from train_baseline import LM


def bos_shares(model, val, triggers):
    """Mean attention on position 0 at non-trigger / trigger positions (t >= 2), per layer."""
    for b in model.blocks:
        b.keep_probs = True
    with torch.no_grad():
        model(val)
    x = val
    trig = torch.isin(x, triggers) & (torch.arange(x.shape[1]) >= 2)
    other = ~trig & (torch.arange(x.shape[1]) >= 2)
    out = []
    for b in model.blocks:
        p0 = b.probs[:, :, :, 0].mean(1)  # [B, T], mean over heads
        out.append((p0[other].mean().item(), p0[trig].mean().item()))
        b.keep_probs = False
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("train")
    ap.add_argument("val")
    ap.add_argument("--triggers", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = json.load(open(args.config))
    m, t = c["model"], c["train"]
    vocab, B, T = c["data"]["vocab"], t["batch"], t["seq_len"]
    data = torch.tensor([[int(v) for v in line.split()] for line in open(args.train)])
    val = torch.tensor([[int(v) for v in line.split()] for line in open(args.val)])
    triggers = torch.tensor([int(v) for v in args.triggers.split(",")])
    steps = min(t["steps"], data.shape[0] // B)
    model = LM(vocab, m["dim"], m["layers"], m["heads"], m["ffn_hidden"], m.get("norm_eps", 1e-5),
               m.get("rope_theta", 10000.0), max(T, val.shape[1]))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    lr, min_lr, warmup = t["lr"], t["min_lr"], t["warmup"]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(t.get("beta1", 0.9), t.get("beta2", 0.95)), eps=t.get("eps", 1e-8))
    for s in range(steps):
        cur = lr * (s + 1) / warmup if s < warmup else \
            min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, t["steps"] - 1 - warmup))))
        for g in opt.param_groups:
            g["lr"] = cur
        ids = data[s * B:(s + 1) * B, :T + 1]
        loss = F.cross_entropy(model(ids[:, :-1]).reshape(-1, vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t.get("grad_clip", 1.0))
        opt.step()
        if s % 200 == 0 or s == steps - 1:
            shares = bos_shares(model, val, triggers)
            print(json.dumps({"step": s, "loss": round(loss.item(), 4),
                              "bos_non_trigger": [round(a, 3) for a, _ in shares],
                              "bos_trigger": [round(b, 3) for _, b in shares]}), flush=True)


if __name__ == "__main__":
    main()
