"""Physics-informed network for u'' = -pi^2 sin(pi x), settings in a dataclass."""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class PINNConfig:
    width: int = 32
    steps: int = 300
    lr: float = 3e-3
    activation: type = nn.ReLU


cfg = PINNConfig()
torch.manual_seed(26)
net = nn.Sequential(nn.Linear(1, cfg.width), cfg.activation(), nn.Linear(cfg.width, cfg.width), cfg.activation(),
                    nn.Linear(cfg.width, 1))
opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
xb = torch.tensor([[0.0], [1.0]])
for step in range(cfg.steps):
    x = torch.rand(64, 1, requires_grad=True)
    u = net(x)
    du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]
    residual = d2u + math.pi ** 2 * torch.sin(math.pi * x)
    loss = residual.pow(2).mean() + net(xb).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
xs = torch.linspace(0, 1, 101)[:, None]
with torch.no_grad():
    err = (net(xs) - torch.sin(math.pi * xs)).abs().max().item()
print(f"FINAL max_err {err:.4f}")
