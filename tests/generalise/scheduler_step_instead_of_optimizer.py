"""Training loop that steps the scheduler, thinking it steps the optimizer."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(27)
X = torch.randn(768, 10)
y = X[:, :2].prod(1, keepdim=True) + X[:, 2:3]
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
for epoch in range(10):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        sched.step()
with torch.no_grad():
    mse = F.mse_loss(model(X[640:]), y[640:]).item()
print(f"FINAL mse {mse:.4f}")
