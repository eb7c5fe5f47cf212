"""An AverageMeter that stores loss tensors (with their graphs) instead of numbers."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class AverageMeter:
    def __init__(self):
        self.total, self.count = 0.0, 0

    def update(self, value, n=1):
        self.total = self.total + value * n
        self.count += n

    @property
    def avg(self):
        return self.total / max(1, self.count)


torch.manual_seed(22)
X = torch.randn(1024, 16)
y = X[:, :4].sum(1, keepdim=True)
model = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
meter = AverageMeter()
for epoch in range(6):
    for i in range(0, 1024, 32):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
        meter.update(loss, n=32)
print(f"FINAL loss {float(meter.avg):.4f}")
