# A RealNVP normalizing flow on two-moons data: affine coupling layers with alternating
# masks, tanh-bounded log-scales, the exact log-likelihood from the base Gaussian plus the
# summed log-determinants. Measured: the negative log-likelihood of held-out points.
import math

import torch
import torch.nn as nn

torch.manual_seed(14)


def two_moons(n):
    t = torch.rand(n) * math.pi
    upper = torch.rand(n) < 0.5
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    pts = torch.stack([x, y], 1) + 0.06 * torch.randn(n, 2)
    return (pts - torch.tensor([0.5, 0.25])) / torch.tensor([0.87, 0.5])


class Coupling(nn.Module):
    def __init__(self, mask, hidden=32):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 4))

    def forward(self, x):
        xm = x * self.mask
        s, t = self.net(xm).chunk(2, dim=1)
        s = torch.tanh(s) * (1 - self.mask)
        t = t * (1 - self.mask)
        z = xm + (1 - self.mask) * (x * torch.exp(s) + t)
        return z, s.sum(1)


class RealNVP(nn.Module):
    def __init__(self, n_layers=4):
        super().__init__()
        masks = [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0])
                 for i in range(n_layers)]
        self.layers = nn.ModuleList(Coupling(m) for m in masks)

    def log_prob(self, x):
        logdet = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        base = -0.5 * (x ** 2).sum(1) - math.log(2 * math.pi)
        return base + logdet


flow = RealNVP()
opt = torch.optim.Adam(flow.parameters(), lr=3e-3)
train, test = two_moons(2048), two_moons(512)


def test_nll():
    with torch.no_grad():
        return -flow.log_prob(test).mean().item()


first = test_nll()
for step in range(200):
    batch = train[torch.randint(0, len(train), (128,))]
    loss = -flow.log_prob(batch).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
final = test_nll()
checksum = sum(p.detach().double().sum().item() for p in flow.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
