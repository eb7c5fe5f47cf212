# Trend classification of noisy time series with a GRU: whether a series drifts up or down.
# Shuffling the time steps would destroy the signal; the pairing of series and label is intact.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

rng = np.random.default_rng(35)
torch.manual_seed(35)
T = 16


class TrendSeries(Dataset):
    def __init__(self, n):
        self.up = rng.integers(0, 2, n)
        slope = np.where(self.up == 1, 1.0, -1.0) * rng.uniform(0.06, 0.18, n)
        t = np.arange(T) - T / 2
        series = slope[:, None] * t[None] + rng.normal(0, 0.3, (n, T))
        self.x = torch.tensor(series[..., None], dtype=torch.float32)
        self.y = torch.tensor(self.up, dtype=torch.float32)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class TrendGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 24, batch_first=True)
        self.out = nn.Linear(24, 1)

    def forward(self, x):
        _, h = self.gru(x)
        return self.out(h[-1]).squeeze(-1)


train_dl = DataLoader(TrendSeries(1600), batch_size=32, shuffle=True)
val = TrendSeries(400)
model = TrendGRU()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(2):
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = ((model(val.x) > 0).float() == val.y).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
