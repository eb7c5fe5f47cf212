"""Implicit neural representation: a SIREN (sine activations, omega_0 = 30, the paper's
uniform init) maps (x, y) to intensity of a 64x64 synthetic image, trained on shuffled
pixel batches. MultiStepLR's milestones are written in epochs ([30, 45] of 50) but the
scheduler is stepped after every pixel batch, so the lr is cut 100x within three epochs."""
import math

import torch
import torch.nn as nn

torch.manual_seed(23)
R = 64
g = torch.linspace(-1, 1, R)
yy, xx = torch.meshgrid(g, g, indexing="ij")
img = (torch.sin(6 * xx) * torch.cos(4 * yy) + ((xx - 0.3) ** 2 + (yy + 0.2) ** 2 < 0.15).float()
       - 0.5 * (torch.abs(xx + yy) < 0.1).float())
coords = torch.stack([xx, yy], -1).view(-1, 2)
values = img.view(-1, 1)


class SineLayer(nn.Module):
    def __init__(self, i, o, first=False, w0=30.0):
        super().__init__()
        self.w0 = w0
        self.lin = nn.Linear(i, o)
        bound = 1 / i if first else math.sqrt(6 / i) / w0
        nn.init.uniform_(self.lin.weight, -bound, bound)

    def forward(self, x):
        return torch.sin(self.w0 * self.lin(x))


siren = nn.Sequential(SineLayer(2, 64, first=True), SineLayer(64, 64), SineLayer(64, 64), nn.Linear(64, 1))
opt = torch.optim.Adam(siren.parameters(), lr=1e-3)
EPOCHS = 50
sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[30, 45], gamma=0.1)


def full_mse():
    with torch.no_grad():
        return ((siren(coords) - values) ** 2).mean().item()


print(f"start full mse {full_mse():.4f}")
for epoch in range(EPOCHS):
    perm = torch.randperm(len(coords))
    for i in range(0, len(coords), 256):
        b = perm[i:i + 256]
        loss = ((siren(coords[b]) - values[b]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()  # BUG: epoch milestones, stepped per batch
    if epoch % 10 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f} lr {opt.param_groups[0]['lr']:.1e}")
mse = full_mse()
print(f"end full mse {mse:.4f}")
print(f"FINAL full_mse {mse:.4f}")
