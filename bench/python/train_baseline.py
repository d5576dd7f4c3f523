#!/usr/bin/env python3
"""PyTorch-eager baseline for `sinkscope train lm` throughput (issue #5, docs/benchmarks.md).

The same Llama-style model (RMSNorm, RoPE rotate_half, SwiGLU, untied head, softmax attention),
the same AdamW (decay on matrices and embeddings only), warm-up + cosine, gradient clipping and
batch shape as a sinkscope training config, written the way a researcher would in plain eager
PyTorch. Data are random token ids generated up front (sinkscope generates its Bigram-Backcopy
batches inside the timed loop, so the comparison slightly favours this script).

Usage: train_baseline.py CONFIG.json --steps N --threads T [--bf16]   -> one JSON line on stdout
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Block(nn.Module):
    def __init__(self, dim, heads, ffn, eps):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.attn_norm, self.mlp_norm = RMSNorm(dim, eps), RMSNorm(dim, eps)
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.gate, self.up = nn.Linear(dim, ffn, bias=False), nn.Linear(dim, ffn, bias=False)
        self.down = nn.Linear(ffn, dim, bias=False)
        self.keep_probs, self.probs = False, None

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        h = self.attn_norm(x)
        q, k, v = (p(h).view(B, T, self.heads, self.hd).transpose(1, 2) for p in (self.q, self.k, self.v))
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        a = (q / math.sqrt(self.hd)) @ k.transpose(-2, -1)
        probs = a.masked_fill(~mask, float("-inf")).softmax(-1)
        self.probs = probs.detach() if self.keep_probs else None  # for bb_crosscheck.py
        a = probs @ v
        x = x + self.o(a.transpose(1, 2).reshape(B, T, D))
        h = self.mlp_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class LM(nn.Module):
    def __init__(self, vocab, dim, layers, heads, ffn, eps, theta, ctx):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, ffn, eps) for _ in range(layers))
        self.norm = RMSNorm(dim, eps)
        self.head = nn.Linear(dim, vocab, bias=False)
        hd = dim // heads
        inv = 1.0 / theta ** (torch.arange(0, hd, 2).float() / hd)
        f = torch.outer(torch.arange(ctx).float(), inv)
        emb = torch.cat((f, f), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, ids):
        T = ids.shape[1]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        x = self.emb(ids)
        for b in self.blocks:
            x = b(x, self.cos[:T], self.sin[:T], mask)
        return self.head(self.norm(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--bf16", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = json.load(open(args.config))
    m, t = c["model"], c["train"]
    vocab = c["data"].get("vocab", 256)
    B, T = t.get("batch", 32), t.get("seq_len", 128)
    model = LM(vocab, m["dim"], m["layers"], m["heads"], m["ffn_hidden"], m.get("norm_eps", 1e-5),
               m.get("rope_theta", 10000.0), T)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    lr, min_lr, warmup, total = t.get("lr", 1e-3), t.get("min_lr", 1e-4), t.get("warmup", 100), t.get("steps", 1000)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t.get("weight_decay", 0.1)},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(t.get("beta1", 0.9), t.get("beta2", 0.95)), eps=t.get("eps", 1e-8))
    data = torch.randint(0, vocab, (args.steps + 3, B, T + 1))

    def step(i):
        s = i if i < warmup else i
        cur = lr * (s + 1) / warmup if s < warmup else \
            min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * min(1.0, (s - warmup) / max(1, total - 1 - warmup))))
        for g in opt.param_groups:
            g["lr"] = cur
        ids = data[i]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t.get("grad_clip", 1.0))
        opt.step()
        opt.zero_grad(set_to_none=False)
        return loss.item()

    for i in range(3):  # warm-up, not timed
        step(i)
    t0 = time.perf_counter()
    for i in range(3, args.steps + 3):
        step(i)
    secs = time.perf_counter() - t0
    print(json.dumps({"impl": "pytorch-eager", "torch": torch.__version__, "threads": args.threads,
                      "bf16": args.bf16, "steps": args.steps, "tokens_per_s": args.steps * B * T / secs}))


if __name__ == "__main__":
    main()
