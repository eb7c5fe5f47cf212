"""A residual MLP block library; the block initialiser shifts the hidden bias."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        nn.init.constant_(self.fc1.bias, -6.0)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(6, 16)
        self.blocks = nn.Sequential(Block(16), Block(16))
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(self.blocks(self.inp(x)))


torch.manual_seed(24)
X = torch.randn(768, 6)
y = (X[:, :1] * X[:, 1:2]) + torch.cos(X[:, 2:3])
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(10):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = F.mse_loss(model(X[640:]), y[640:]).item()
print(f"FINAL mse {mse:.4f}")
