"""Activation checkpointing, the classic way: `checkpoint(..., use_reentrant=True)`
around residual MLP blocks that contain dropout."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(11)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return x + self.fc2(self.drop(F.gelu(self.fc1(self.norm(x)))))


class Net(nn.Module):
    def __init__(self, d_in=16, d=32, depth=3):
        super().__init__()
        self.inp = nn.Linear(d_in, d)
        self.blocks = nn.ModuleList(Block(d) for _ in range(depth))
        self.head = nn.Linear(d, 3)

    def forward(self, x):
        h = self.inp(x)
        for blk in self.blocks:
            h = checkpoint(blk, h, use_reentrant=True) if self.training else blk(h)
        return self.head(h)


X = torch.randn(512, 16)
y = (X[:, :3] @ torch.randn(3, 3)).argmax(1)
net = Net()
opt = torch.optim.AdamW(net.parameters(), lr=3e-3)
history = []
for epoch in range(5):
    net.train()
    for xb, yb in zip(X.split(64), y.split(64)):
        loss = F.cross_entropy(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(loss.item())
    net.eval()
    with torch.no_grad():
        acc = (net(X).argmax(1) == y).float().mean().item()

checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(history[0]), repr(history[-1]), repr(acc), repr(checksum))
