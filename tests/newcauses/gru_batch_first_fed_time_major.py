"""Next-value forecaster for noisy sine windows. The collate function stacks windows
time-major ([time, batch, 1]) the way the RNN tutorials do, but the GRU was copied from a
project that used batch_first=True."""
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(1)
T = 16


class SineWindows(Dataset):
    def __init__(self, n):
        freq = 0.3 + 0.9 * torch.rand(n, 1)
        phase = 2 * math.pi * torch.rand(n, 1)
        t = torch.arange(T + 1).float()
        wave = torch.sin(freq * t + phase) + 0.05 * torch.randn(n, T + 1)
        self.x, self.y = wave[:, :T, None], wave[:, T:]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def time_major(batch):
    xs, ys = zip(*batch)
    return torch.stack(xs, dim=1), torch.stack(ys)  # [T, B, 1], [B, 1]


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 48, batch_first=True)
        self.out = nn.Linear(48, 1)

    def forward(self, seq):
        h, _ = self.gru(seq)
        return self.out(h[-1])  # last time step of the time-major output


train = DataLoader(SineWindows(700), batch_size=64, shuffle=True, collate_fn=time_major)
test = DataLoader(SineWindows(256), batch_size=128, collate_fn=time_major)
model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(8):
    for xb, yb in train:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch} train mse {loss.item():.4f}")
with torch.no_grad():
    errs = [nn.functional.mse_loss(model(xb), yb, reduction="sum") for xb, yb in test]
mse = (sum(errs) / 256).item()
print(f"FINAL mse {mse:.4f}")
