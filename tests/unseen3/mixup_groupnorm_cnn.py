"""Small CNN with GroupNorm on synthetic stripe/blob images, trained with mixup: inputs mixed
with a shuffled copy of the batch, the loss mixes the two label sets with the same lambda."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
rng = np.random.default_rng(6)


def make(n):
    ys = torch.randint(0, 4, (n,))
    imgs = 0.5 * torch.randn(n, 1, 12, 12)
    for k in range(n):
        c = int(ys[k])
        if c == 0:
            imgs[k, 0, :, 3:5] += 2.0
        elif c == 1:
            imgs[k, 0, 3:5, :] += 2.0
        elif c == 2:
            imgs[k, 0, 4:8, 4:8] += 2.0
        else:
            imgs[k, 0].fill_diagonal_(2.5)
    return imgs, ys


X, Y = make(800)
net = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.GroupNorm(8, 32), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 4))
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for step in range(100):
    idx = torch.randint(0, 800, (64,))
    x, y = X[idx], Y[idx]
    lam = float(rng.beta(0.4, 0.4))
    perm = torch.randperm(x.size(0))
    mixed = lam * x + (1 - lam) * x[perm]
    out = net(mixed)
    loss = lam * F.cross_entropy(out, y) + (1 - lam) * F.cross_entropy(out, y[perm])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
with torch.no_grad():
    acc = (net(X).argmax(1) == Y).float().mean().item()
print(f"FINAL acc {acc:.3f}")
