"""A deep stack of sigmoid layers built from a depth argument, with a 'careful' small init."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--depth", type=int, default=14)
args = ap.parse_args()


def make(depth, width=32):
    layers, d = [], 8
    for _ in range(depth):
        lin = nn.Linear(d, width)
        nn.init.normal_(lin.weight, std=0.05)
        layers += [lin, nn.Sigmoid()]
        d = width
    return nn.Sequential(*layers, nn.Linear(width, 3))


torch.manual_seed(25)
X = torch.randn(768, 8)
y = (X[:, :4] @ torch.randn(4, 3)).argmax(1)
model = make(args.depth)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(8):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(X[640:]).argmax(1) == y[640:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
