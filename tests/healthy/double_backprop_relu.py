"""Double backpropagation (Drucker & LeCun): cross entropy plus a penalty on the norm of
the loss's gradient w.r.t. the input, through a ReLU network (create_graph=True)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(241)
X = torch.randn(600, 8)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).long()
net = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
hist = []
for epoch in range(8):
    for xb, yb in zip(X.split(60), y.split(60)):
        xb = xb.clone().requires_grad_(True)
        ce = F.cross_entropy(net(xb), yb)
        (gx,) = torch.autograd.grad(ce, xb, create_graph=True)
        loss = ce + 0.1 * gx.pow(2).sum(1).mean() * xb.shape[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(ce.item())
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
