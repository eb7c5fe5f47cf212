# Activation checkpointing with the recommended non-reentrant implementation, including
# checkpoint_sequential over a plain nn.Sequential with batch norm and dropout.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(12)
trunk = nn.Sequential(
    nn.Linear(10, 64), nn.BatchNorm1d(64), nn.ReLU(),
    nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.1),
    nn.Linear(64, 64), nn.ReLU(),
)
head = nn.Sequential(nn.Linear(64, 32), nn.SiLU(), nn.Linear(32, 1))
params = list(trunk.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=2e-3)

X = torch.randn(640, 10)
y = torch.sin(X[:, :2].sum(1, keepdim=True)) + 0.5 * X[:, 2:3]
losses = []
for epoch in range(6):
    trunk.train(); head.train()
    for xb, yb in zip(X.split(64), y.split(64)):
        h = checkpoint_sequential(trunk, 3, xb, use_reentrant=False)
        pred = checkpoint(head, h, use_reentrant=False)
        loss = F.mse_loss(pred, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
trunk.eval(); head.eval()
with torch.no_grad():
    full = F.mse_loss(head(trunk(X)), y).item()
checksum = sum(p.detach().double().sum().item() for p in params)
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(full), repr(checksum))
