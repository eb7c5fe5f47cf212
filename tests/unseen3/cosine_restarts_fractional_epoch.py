"""Tabular classifier with SGD (Nesterov) and CosineAnnealingWarmRestarts stepped with a
fractional epoch after every batch, as the scheduler's docs show."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(1)
n, d = 1200, 10
X = torch.randn(n, d)
w = torch.randn(d, 3)
y = (X @ w + 0.3 * torch.randn(n, 3)).argmax(1)
loader = DataLoader(TensorDataset(X, y), batch_size=48, shuffle=True)

net = nn.Sequential(nn.Linear(d, 64), nn.ELU(), nn.Linear(64, 64), nn.ELU(), nn.Linear(64, 3))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=1e-3)
crit = nn.CrossEntropyLoss()
iters = len(loader)
history = []
for epoch in range(14):
    total = 0.0
    for i, (xb, yb) in enumerate(loader):
        opt.zero_grad(set_to_none=True)
        loss = crit(net(xb), yb)
        loss.backward()
        opt.step()
        sched.step(epoch + i / iters)
        total += loss.item()
    history.append(total / iters)
print(f"start loss {history[0]:.3f}  end loss {history[-1]:.3f}")
with torch.no_grad():
    acc = (net(X).argmax(1) == y).float().mean().item()
print(f"FINAL acc {acc:.3f}")
