# Physics-informed network for u'' = -sin(x) with tanh activations and a squared residual.
import math

import torch
import torch.nn as nn

torch.manual_seed(41)
net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
bounds = torch.tensor([[0.0], [math.pi]])
for it in range(200):
    x = (torch.rand(64, 1) * math.pi).requires_grad_(True)
    u = net(x)
    ux = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
    uxx = torch.autograd.grad(ux.sum(), x, create_graph=True)[0]
    residual = uxx + torch.sin(x)
    loss = residual.pow(2).mean() + net(bounds).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
