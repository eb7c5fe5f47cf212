"""Temperatures in Kelvin as targets; the output bias starts at the training-set mean."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(35)
X = torch.randn(900, 5)
kelvin = 288 + 6 * torch.tanh(X[:, :1]) + 2 * X[:, 1:2] + 0.5 * torch.randn(900, 1)
model = nn.Sequential(nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 1))
with torch.no_grad():
    model[-1].bias.fill_(kelvin[:768].mean())
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for i in range(0, 768, 64):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 64]), kelvin[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = F.mse_loss(model(X[768:]), kelvin[768:]).item()
print(f"FINAL mse {mse:.4f}")
