"""Rectified flow / flow matching in 2-D: x_t = (1 - t) x0 + t x1 between Gaussian noise
and an eight-Gaussian mixture, an MLP v(x_t, t) regresses the velocity x1 - x0 with MSE;
samples are drawn with 50 Euler steps and scored by distance to the nearest mode."""
import math

import torch
import torch.nn as nn

torch.manual_seed(8)
angles = torch.arange(8) * (2 * math.pi / 8)
modes = 4 * torch.stack([torch.cos(angles), torch.sin(angles)], 1)


def data(n):
    return modes[torch.randint(0, 8, (n,))] + 0.2 * torch.randn(n, 2)


class VelocityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3 + 8, 128), nn.SiLU(), nn.Linear(128, 128), nn.SiLU(), nn.Linear(128, 2))
        self.register_buffer("freqs", torch.arange(1, 5).float() * math.pi)

    def forward(self, x, t):
        temb = torch.cat([torch.sin(t * self.freqs), torch.cos(t * self.freqs)], -1)
        return self.net(torch.cat([x, t, temb], -1))


model = VelocityNet()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)


@torch.no_grad()
def sample_score(n=1000):
    x = torch.randn(n, 2)
    for k in range(50):
        t = torch.full((n, 1), k / 50)
        x = x + model(x, t) / 50
    return torch.cdist(x, modes).min(1).values.mean().item()


print(f"start sample distance to nearest mode {sample_score():.3f}")
for step in range(1500):
    x1 = data(256)
    x0 = torch.randn_like(x1)
    t = torch.rand(256, 1)
    xt = (1 - t) * x0 + t * x1
    loss = ((model(xt, t) - (x1 - x0)) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
score = sample_score()
print(f"end sample distance to nearest mode {score:.3f}")
print(f"FINAL mode_distance {score:.3f}")
