"""Multi-task model whose task heads are kept in a plain Python list."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiTask(nn.Module):
    def __init__(self, tasks=3):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.heads = [nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)) for _ in range(tasks)]

    def forward(self, x):
        h = self.trunk(x)
        return torch.cat([head(h) for head in self.heads], dim=1)


torch.manual_seed(13)
X = torch.randn(640, 8)
Y = torch.stack([X[:, 0] * X[:, 1], torch.sin(X[:, 2]), X[:, 3].abs()], 1)
model = MultiTask()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for i in range(0, 512, 64):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 64]), Y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = F.mse_loss(model(X[512:]), Y[512:]).item()
print(f"FINAL mse {mse:.4f}")
