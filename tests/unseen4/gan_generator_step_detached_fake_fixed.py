"""A 2-D GAN written as a small trainer class: the fake batch is generated once per
iteration; the discriminator step sees it detached, the generator's non-saturating loss
sees the attached tensor."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(22)


def real_batch(n):
    t = torch.rand(n) * 2 * math.pi
    return torch.stack([2 * torch.cos(t), 2 * torch.sin(t)], 1) + 0.05 * torch.randn(n, 2)


class GANTrainer:
    def __init__(self):
        self.G = nn.Sequential(nn.Linear(4, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 2))
        self.D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=1e-3, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=1e-3, betas=(0.5, 0.999))

    def step(self, n=128):
        real = real_batch(n)
        fake = self.G(torch.randn(n, 4))
        d_loss = F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake.detach())).mean()
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        g_loss = F.softplus(-self.D(fake)).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        return d_loss.item(), g_loss.item()

    @torch.no_grad()
    def ring_error(self, n=2000):
        pts = self.G(torch.randn(n, 4))
        return (pts.norm(dim=1) - 2).abs().mean().item()


trainer = GANTrainer()
print(f"start ring error {trainer.ring_error():.3f}")
for it in range(700):
    d, g = trainer.step()
    if it % 350 == 0:
        print(f"it {it} d_loss {d:.3f} g_loss {g:.3f}")
err = trainer.ring_error()
print(f"end ring error {err:.3f}")
print(f"FINAL ring_error {err:.3f}")
