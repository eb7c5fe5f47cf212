"""Reverse a digit string with a GRU encoder and a GRUCell decoder; teacher forcing whose
probability decays over training (scheduled sampling)."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
random.seed(0)
VOCAB, SOS, LEN, HID = 8, 8, 4, 48


def batch(n=64):
    src = torch.randint(0, VOCAB, (n, LEN))
    return src, src.flip(1)


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_emb = nn.Embedding(VOCAB, 32)
        self.tgt_emb = nn.Embedding(VOCAB + 1, 32)
        self.encoder = nn.GRU(32, HID, batch_first=True)
        self.cell = nn.GRUCell(32, HID)
        self.proj = nn.Linear(HID, VOCAB)

    def forward(self, src, tgt=None, tf_ratio=0.0):
        _, h = self.encoder(self.src_emb(src))
        h = h.squeeze(0)
        token = torch.full((src.size(0),), SOS, dtype=torch.long)
        outs = []
        for t in range(LEN):
            h = self.cell(self.tgt_emb(token), h)
            logits = self.proj(h)
            outs.append(logits)
            if tgt is not None and random.random() < tf_ratio:
                token = tgt[:, t]
            else:
                token = logits.argmax(-1)
        return torch.stack(outs, 1)


model = Seq2Seq()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
steps = 200
for step in range(steps):
    src, tgt = batch()
    ratio = max(0.0, 1.0 - step / (0.8 * steps))
    logits = model(src, tgt, ratio)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
with torch.no_grad():
    src, tgt = batch(256)
    acc = (model(src).argmax(-1) == tgt).float().mean().item()
print(f"FINAL acc {acc:.3f}")
