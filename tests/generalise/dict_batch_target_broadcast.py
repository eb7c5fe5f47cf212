"""A regression trainer fed dict batches from a Dataset."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class Tabular(Dataset):
    def __init__(self, n=768):
        g = torch.Generator().manual_seed(6)
        self.x = torch.randn(n, 8, generator=g)
        self.y = self.x[:, 0] * 1.5 - self.x[:, 3] + 0.5 * self.x[:, 5] ** 2

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"features": self.x[i], "target": self.y[i]}


torch.manual_seed(6)
loader = DataLoader(Tabular(), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for batch in loader:
        pred = model(batch["features"])
        loss = F.mse_loss(pred, batch["target"])
        opt.zero_grad()
        loss.backward()
        opt.step()
data = Tabular()
with torch.no_grad():
    mse = F.mse_loss(model(data.x).squeeze(1), data.y).item()
print(f"FINAL mse {mse:.4f}")
