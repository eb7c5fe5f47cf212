"""Regression with a config dataclass; targets are standardised, the head ends in ReLU."""
from dataclasses import dataclass, field

import torch
import torch.nn as nn


@dataclass
class ModelConfig:
    inputs: int = 6
    widths: list = field(default_factory=lambda: [64, 64])


def mlp(cfg: ModelConfig) -> nn.Sequential:
    layers, d = [], cfg.inputs
    for w in cfg.widths:
        layers += [nn.Linear(d, w), nn.ReLU()]
        d = w
    layers += [nn.Linear(d, 1), nn.ReLU()]
    return nn.Sequential(*layers)


torch.manual_seed(11)
X = torch.randn(768, 6)
y = (X[:, :1] * 3 + X[:, 1:2] * X[:, 2:3]) + 0.1 * torch.randn(768, 1)
y = (y - y.mean()) / y.std()
model = mlp(ModelConfig())
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.SmoothL1Loss()
for epoch in range(10):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = loss_fn(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = nn.functional.mse_loss(model(X[640:]), y[640:]).item()
print(f"FINAL mse {mse:.4f}")
