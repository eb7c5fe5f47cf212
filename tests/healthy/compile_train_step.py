"""The whole training step compiled, zero_grad, backward and optimizer step included (the
optimizer's step hooks are compiled away: its steps are counted at the compiled call)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(122)
model = nn.Sequential(nn.Linear(6, 48), nn.Tanh(), nn.Linear(48, 1))
opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-4)


@torch.compile(backend="aot_eager")
def train_step(xb, yb):
    opt.zero_grad()
    loss = F.mse_loss(model(xb), yb)
    loss.backward()
    opt.step()
    return loss.detach()


X = torch.randn(384, 6)
y = X[:, :3].sum(1, keepdim=True) - 0.5 * X[:, 3:4] ** 2
hist = []
for epoch in range(10):
    for xb, yb in zip(X.split(64), y.split(64)):
        hist.append(train_step(xb, yb).item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
