"""An IterableDataset streams synthetic sensor windows; gradients are clipped before each step."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset


class SensorStream(IterableDataset):
    """Endless stream of (window, label): which of 3 machine states produced the vibration window."""

    def __init__(self, window=32, seed=0, length=None):
        self.window, self.seed, self.length = window, seed, length

    def __iter__(self):
        gen = torch.Generator().manual_seed(self.seed)
        t = torch.arange(self.window, dtype=torch.float32)
        n = 0
        while self.length is None or n < self.length:
            label = int(torch.randint(0, 3, (1,), generator=gen))
            freq = (1.0, 2.0, 3.0)[label] + 0.2 * torch.rand(1, generator=gen)
            phase = 2 * math.pi * torch.rand(1, generator=gen)
            x = torch.sin(2 * math.pi * freq * t / self.window + phase) + 0.3 * torch.randn(self.window, generator=gen)
            yield x, label
            n += 1


torch.manual_seed(31)
model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
train = DataLoader(SensorStream(seed=1, length=64 * 150), batch_size=64)

model.train()
for step, (x, y) in enumerate(train):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    model.zero_grad()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}")

model.eval()
correct = total = 0
with torch.no_grad():
    for x, y in DataLoader(SensorStream(seed=2, length=600), batch_size=200):
        correct += (model(x).argmax(1) == y).sum().item()
        total += len(y)
print(f"FINAL acc {correct / total:.3f}")
