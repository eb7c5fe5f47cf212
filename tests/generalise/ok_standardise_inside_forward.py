"""The model stores the training-set statistics as buffers and standardises inside forward."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Regressor(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.body = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.body((x - self.mean) / self.std)


torch.manual_seed(31)
year = torch.randint(1950, 2020, (900,)).float()
income = 30_000 + 20_000 * torch.rand(900)
rooms = torch.randint(1, 8, (900,)).float()
noise = torch.randn(900)
X = torch.stack([year, income, rooms, noise], 1)
y = (((year - 1985) / 20) + (income - 40_000) / 6_000 * 0.5 + 0.3 * rooms)[:, None] / 3
model = Regressor(X[:768].mean(0), X[:768].std(0))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for i in range(0, 768, 64):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = F.mse_loss(model(X[768:]), y[768:]).item()
print(f"FINAL mse {mse:.4f}")
