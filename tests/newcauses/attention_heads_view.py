"""Hand-written multi-head self-attention for a pointer task: the first token names a
position, the label is the parity of the token stored there."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
T, E, HEADS = 16, 32, 4


def make(n):
    tokens = torch.randint(0, 10, (n, T))
    k = torch.randint(1, T, (n,))
    tokens[:, 0] = 10 + k
    return tokens, tokens[torch.arange(n), k] % 2


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.d = heads, dim // heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, e = x.shape
        q = self.q(x).view(b, self.heads, t, self.d)
        k = self.k(x).view(b, self.heads, t, self.d)
        v = self.v(x).view(b, self.heads, t, self.d)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.d)
        out = att.softmax(dim=-1) @ v  # [B, heads, T, d]
        return self.proj(out.transpose(1, 2).reshape(b, t, e))


class PointerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(10 + T, E)
        self.pos = nn.Parameter(0.1 * torch.randn(T, E))
        self.attn = SelfAttention(E, HEADS)
        self.norm = nn.LayerNorm(E)
        self.head = nn.Sequential(nn.Linear(E, 64), nn.ReLU(), nn.Linear(64, 2))

    def forward(self, tokens):
        h = self.tok(tokens) + self.pos
        h = self.norm(h + self.attn(h))
        return self.head(h[:, 0])


x_train, y_train = make(2000)
x_test, y_test = make(500)
model = PointerNet()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(360):
    idx = torch.randint(0, len(x_train), (64,))
    opt.zero_grad()
    loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
