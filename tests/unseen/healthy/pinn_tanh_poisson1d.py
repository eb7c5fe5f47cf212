# A physics-informed network for the 1-D Poisson problem u'' = -pi^2 sin(pi x) on [0, 1]
# with u(0) = u(1) = 0: the second derivative comes from two torch.autograd.grad calls with
# create_graph=True through tanh activations (smooth, so second derivatives are non-zero).
# Measured: the error against the exact solution sin(pi x).
import math

import torch
import torch.nn as nn

torch.manual_seed(38)
net = nn.Sequential(nn.Linear(1, 24), nn.Tanh(), nn.Linear(24, 24), nn.Tanh(), nn.Linear(24, 1))
opt = torch.optim.Adam(net.parameters(), lr=5e-3)
x_test = torch.linspace(0, 1, 101).unsqueeze(1)
boundary = torch.tensor([[0.0], [1.0]])


def residual(x):
    x = x.requires_grad_(True)
    u = net(x)
    du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    d2u = torch.autograd.grad(du.sum(), x, create_graph=True)[0]
    return d2u + math.pi ** 2 * torch.sin(math.pi * x)


def error():
    with torch.no_grad():
        return ((net(x_test) - torch.sin(math.pi * x_test)) ** 2).mean().item()


first = error()
for step in range(150):
    x_col = torch.rand(64, 1)
    loss = residual(x_col).pow(2).mean() + 10 * net(boundary).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
final = error()
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
