# An old-school hand-written heavy-ball momentum optimiser operating on `p.data` and
# `p.grad.data`, as found in pre-1.0 tutorials, wrapped in a tiny optimiser-like class.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)


class HandMomentum:
    def __init__(self, params, lr=0.05, beta=0.9):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.beta = lr, beta
        self.bufs = [torch.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            if p.grad is not None:
                p.grad.data.zero_()

    def step(self):
        for p, buf in zip(self.params, self.bufs):
            if p.grad is None:
                continue
            buf.mul_(self.beta).add_(p.grad.data)
            p.data.add_(-self.lr, buf)  # the pre-1.5 (alpha, other) overload


net = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 1))
X = torch.randn(256, 3)
y = X.pow(2).sum(1, keepdim=True) - 1.0
opt = HandMomentum(net.parameters(), lr=0.01)
losses = []
for epoch in range(40):
    for xb, yb in zip(X.split(32), y.split(32)):
        opt.zero_grad()
        loss = F.mse_loss(net(xb), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        losses.append(F.mse_loss(net(X), y).item())

checksum = sum(p.data.double().sum().item() for p in net.parameters())
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(checksum))
