"""Decoder-only transformer with rotary position embeddings (RoPE), RMSNorm and a SwiGLU MLP,
written by hand (no nn.MultiheadAttention), trained on multi-query associative recall
(Arora et al. 2023): a sequence lists 4 key-value pairs, then asks the 4 keys again, each
followed by its value. Only the answer positions carry a target; every other position is
set to ignore_index=-100 in F.cross_entropy. Batch size and sequence length are both 16 (the
attention softmax runs over the 16 key positions of each sequence, and the
causal mask uses the upper triangle). Metric: answer accuracy on fresh sequences against
chance (1/16 for the value vocabulary) and against always answering the most frequent value.
Training: AdamW with a per-step linear warm-up (LambdaLR) and gradient clipping.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(25)
N_KEYS, N_VALS, PAIRS = 16, 16, 4
VOCAB, T = N_KEYS + N_VALS, 4 * PAIRS


def make(b):
    keys = torch.rand(b, N_KEYS).argsort(1)[:, :PAIRS]
    vals = torch.randint(0, N_VALS, (b, PAIRS)) + N_KEYS
    order = torch.rand(b, PAIRS).argsort(1)
    q, a = keys.gather(1, order), vals.gather(1, order)
    seq = torch.stack([torch.stack([keys, vals], 2).reshape(b, -1),
                       torch.stack([q, a], 2).reshape(b, -1)], 1).reshape(b, T)
    tgt = torch.full((b, T), -100)
    tgt[:, 2 * PAIRS::2] = a                  # at each query position, predict its value
    return seq, tgt


def rotary(x, base=10000.0):
    b, h, t, d = x.shape
    inv = base ** (-torch.arange(0, d, 2).float() / d)
    ang = torch.arange(t).float()[:, None] * inv[None]
    cos, sin = ang.cos(), ang.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1).flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.g, self.eps = nn.Parameter(torch.ones(d)), eps

    def forward(self, x):
        return self.g * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class Block(nn.Module):
    def __init__(self, d=64, heads=4):
        super().__init__()
        self.h = heads
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d, bias=False), nn.Linear(d, d, bias=False)
        self.w_gate, self.w_up = nn.Linear(d, 4 * d, bias=False), nn.Linear(d, 4 * d, bias=False)
        self.w_down = nn.Linear(4 * d, d, bias=False)

    def forward(self, x, causal):
        b, t, d = x.shape
        q, k, v = self.qkv(self.n1(x)).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v))
        q, k = rotary(q), rotary(k)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.h)
        att = att.masked_fill(causal, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        h = self.n2(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class TinyLM(nn.Module):
    def __init__(self, d=64, layers=2):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.head = nn.Linear(d, VOCAB, bias=False)
        self.register_buffer("causal", torch.triu(torch.ones(T, T, dtype=torch.bool), 1))

    def forward(self, seq):
        x = self.emb(seq)
        for blk in self.blocks:
            x = blk(x, self.causal[:seq.shape[1], :seq.shape[1]])
        return self.head(self.norm(x))


model = TinyLM()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.05)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 100))
seq_te, tgt_te = make(2000)


def answer_acc():
    with torch.no_grad():
        pred = model(seq_te).argmax(-1)
    m = tgt_te != -100
    return (pred[m] == tgt_te[m]).float().mean().item()


vals = tgt_te[tgt_te != -100]
print(f"chance {1 / N_VALS:.3f}, most frequent value {torch.bincount(vals).max().item() / len(vals):.3f}; "
      f"start acc {answer_acc():.3f}")
for step in range(1, 1001):
    seq, tgt = make(16)
    logits = model(seq)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1), ignore_index=-100)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    if step % 250 == 0:
        print(f"step {step} loss {loss.item():.4f} answer acc {answer_acc():.3f}")
print(f"FINAL answer_acc {answer_acc():.3f} (chance {1 / N_VALS:.3f})")
