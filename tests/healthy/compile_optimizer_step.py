"""Only the optimizer step compiled (a common way to fuse the update): forward, loss and
backward stay eager."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(123)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


@torch.compile(backend="aot_eager")
def opt_step():
    opt.step()


X = torch.randn(512, 10)
y = (X[:, 0] + X[:, 1] > 0).long() + (X[:, 2] > 1).long()
hist = []
for epoch in range(8):
    for xb, yb in zip(X.split(64), y.split(64)):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt_step()
        hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
