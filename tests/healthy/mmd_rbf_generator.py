# Generative moment matching network: a generator trained with an RBF-kernel MMD loss.
import torch
from torch import nn

torch.manual_seed(8)
BANDWIDTHS = (0.5, 1.0, 2.0)


def rbf_mmd2(a, b):
    xx = ((a[:, None, :] - a[None, :, :]) ** 2).sum(-1)
    yy = ((b[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    xy = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    k = lambda d: sum(torch.exp(-d / (2 * s * s)) for s in BANDWIDTHS)
    return k(xx).mean() + k(yy).mean() - 2 * k(xy).mean()


def data(n):
    angle = torch.rand(n) * 6.2832
    return torch.stack([angle.cos(), angle.sin()], 1) * 2 + 0.1 * torch.randn(n, 2)


gen = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
opt = torch.optim.Adam(gen.parameters(), lr=2e-3)
fixed_noise, fixed_real = torch.randn(256, 3), data(256)
with torch.no_grad():
    first = rbf_mmd2(gen(fixed_noise), fixed_real).item()
for step in range(120):
    loss = rbf_mmd2(gen(torch.randn(128, 3)), data(128))
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    final = rbf_mmd2(gen(fixed_noise), fixed_real).item()
checksum = sum(p.detach().double().sum().item() for p in gen.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
