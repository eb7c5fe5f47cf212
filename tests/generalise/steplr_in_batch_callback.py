"""The scheduler is stepped from an on_batch_end hook, but sized in epochs."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Hooks:
    def __init__(self, sched):
        self.sched = sched

    def on_batch_end(self):
        self.sched.step()


torch.manual_seed(17)
X = torch.randn(1024, 12)
y = (X[:, :6] @ torch.randn(6, 5)).argmax(1)
model = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 5))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
hooks = Hooks(torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
for epoch in range(12):
    for i in range(0, 896, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
        hooks.on_batch_end()
with torch.no_grad():
    acc = (model(X[896:]).argmax(1) == y[896:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
