"""torch.compile around the forward and the loss (AOTAutograd backend: it captures the
forward and backward graphs without needing a C++ toolchain)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(121)
model = nn.Sequential(nn.Linear(8, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))


@torch.compile(backend="aot_eager", dynamic=False)
def compute_loss(x, y):
    return F.huber_loss(model(x), y, delta=0.5)


opt = torch.optim.Adam(model.parameters(), lr=1e-2)
X = torch.randn(512, 8)
y = (X[:, :4].sum(1, keepdim=True)).sin() + 0.1 * X[:, 4:5]
hist = []
for epoch in range(12):
    for xb, yb in zip(X.split(64), y.split(64)):
        loss = compute_loss(xb, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
