"""Transformer-style sequence classifier on dict batches, with a padding mask."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)

    def forward(self, x, mask):
        q, k, v = self.qkv(x).chunk(3, -1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(x.shape[-1])
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        return self.proj(torch.softmax(scores, dim=-1) @ v)


class Classifier(nn.Module):
    def __init__(self, vocab=20, d=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, d, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(12, d) * 0.02)
        self.attn, self.norm = Attention(d), nn.LayerNorm(d)
        self.head = nn.Linear(d, 4)

    def forward(self, batch):
        ids, mask = batch["ids"], batch["mask"]
        h = self.emb(ids) + self.pos[: ids.shape[1]]
        h = self.norm(h + self.attn(h, mask))
        h = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(h)


torch.manual_seed(33)
ids = torch.randint(1, 20, (768, 12))
lengths = torch.randint(6, 13, (768,))
mask = torch.arange(12)[None] < lengths[:, None]
ids = ids * mask
labels = torch.stack([(ids == k).sum(1) for k in range(1, 5)], 1).argmax(1)
model = Classifier()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for epoch in range(12):
    for i in range(0, 576, 48):
        batch = {"ids": ids[i:i + 48], "mask": mask[i:i + 48], "labels": labels[i:i + 48]}
        loss = F.cross_entropy(model(batch), batch["labels"])
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model({"ids": ids[576:], "mask": mask[576:]}).argmax(1) == labels[576:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
