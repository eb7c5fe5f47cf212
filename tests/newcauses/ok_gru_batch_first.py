"""Next-value forecaster for noisy sine windows: windows are [batch, time, 1] and the GRU is
built with batch_first=True; the DataLoader's last batch is shorter."""
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(25)
T = 16


def make(n):
    freq = 0.3 + 0.9 * torch.rand(n, 1)
    phase = 2 * math.pi * torch.rand(n, 1)
    wave = torch.sin(freq * torch.arange(T + 1).float() + phase) + 0.05 * torch.randn(n, T + 1)
    return wave[:, :T, None], wave[:, T:]


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 48, batch_first=True)
        self.out = nn.Linear(48, 1)

    def forward(self, seq):
        h, _ = self.gru(seq)
        return self.out(h[:, -1])


x_train, y_train = make(700)
x_test, y_test = make(256)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(10):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch} mse {loss.item():.4f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(model(x_test), y_test).item()
print(f"FINAL mse {mse:.4f}")
