"""Hand-written multi-head attention with the usual head split:
q.view(B, T, heads, d).transpose(1, 2), merged back with transpose + reshape.
Task: does the first token come back later in the sequence?"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
T, V, E, HEADS = 8, 10, 32, 4


def make(n):
    y = torch.randint(0, 2, (n,))
    x = torch.randint(0, V, (n, T))
    for i in range(n):
        first = x[i, 0].item()
        rest = x[i, 1:]
        rest[rest == first] = (first + 1) % V
        if y[i]:
            rest[torch.randint(0, T - 1, ()).item()] = first
    return x, y


class MHSA(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.h, self.d = heads, dim // heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def split(self, t):
        b, n, _ = t.shape
        return t.view(b, n, self.h, self.d).transpose(1, 2)  # [B, heads, T, d]

    def forward(self, x):
        b, n, e = x.shape
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        att = (q @ k.transpose(-2, -1) / math.sqrt(self.d)).softmax(-1)
        return self.o((att @ v).transpose(1, 2).reshape(b, n, e))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.pos = nn.Parameter(0.1 * torch.randn(T, E))
        self.attn = MHSA(E, HEADS)
        self.norm = nn.LayerNorm(E)
        self.head = nn.Sequential(nn.Linear(E, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, x):
        h = self.emb(x) + self.pos
        h = self.norm(h + self.attn(h))
        return self.head(h[:, 0])


x_train, y_train = make(1500)
x_test, y_test = make(400)
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(8):
    perm = torch.randperm(1500)
    for i in range(0, 1500, 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
