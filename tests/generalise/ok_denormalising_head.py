"""Prices in dollars; the model predicts in standardised units and its head maps back to dollars."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PriceModel(nn.Module):
    def __init__(self, mu, sigma):
        super().__init__()
        self.register_buffer("mu", mu)
        self.register_buffer("sigma", sigma)
        self.body = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.body(x) * self.sigma + self.mu


torch.manual_seed(36)
X = torch.rand(900, 3)
price = 150_000 + 250_000 * X[:, :1] + 40_000 * X[:, 1:2] - 60_000 * X[:, 2:3] + 5_000 * torch.randn(900, 1)
model = PriceModel(price[:768].mean(), price[:768].std())
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for i in range(0, 768, 64):
        opt.zero_grad()
        loss = F.l1_loss(model(X[i:i + 64]), price[i:i + 64]) / model.sigma
        loss.backward()
        opt.step()
with torch.no_grad():
    rel = (model(X[768:]) - price[768:]).abs().mean().item() / price[768:].std().item()
print(f"FINAL rel_mae {rel:.4f}")
