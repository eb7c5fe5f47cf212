"""A LightningModule-like sequence classifier with a hand-written attention block."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x):  # x: [B, T, D]
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])  # [B, T, T]
        weights = scores.softmax(dim=0)
        return self.out(weights @ v)


class LitClassifier(nn.Module):
    def __init__(self, vocab=20, d=32, classes=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.attn = SelfAttention(d)
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        h = self.emb(tokens)
        h = h + self.attn(h)
        return self.head(h.mean(1))

    def training_step(self, batch):
        tokens, label = batch
        return F.cross_entropy(self(tokens), label)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=3e-3)


def fit(module, batches, epochs):
    opt = module.configure_optimizers()
    for _ in range(epochs):
        for batch in batches:
            opt.zero_grad()
            module.training_step(batch).backward()
            opt.step()


torch.manual_seed(0)
tokens = torch.randint(0, 20, (768, 12))
# the class is which of four "keyword" tokens occurs most often
labels = torch.stack([(tokens == k).sum(1) for k in range(4)], 1).argmax(1)
batches = [(tokens[i:i + 48], labels[i:i + 48]) for i in range(0, 576, 48)]
model = LitClassifier()
fit(model, batches, epochs=12)
with torch.no_grad():
    acc = (model(tokens[576:]).argmax(1) == labels[576:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
