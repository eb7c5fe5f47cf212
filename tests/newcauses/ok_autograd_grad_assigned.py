"""Gradients from torch.autograd.grad, clipped by hand to a global norm and written into .grad
before the optimizer step."""
import torch
import torch.nn as nn

torch.manual_seed(36)
X = torch.rand(1200, 4) * 2 - 1
y = (X[:, 0] * X[:, 1] + 0.5 * X[:, 2] ** 2 - X[:, 3]).unsqueeze(1)
model = nn.Sequential(nn.Linear(4, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
params = list(model.parameters())
opt = torch.optim.Adam(params, lr=3e-3)
for epoch in range(15):
    perm = torch.randperm(1000)
    for i in range(0, 1000, 50):
        idx = perm[i:i + 50]
        loss = nn.functional.mse_loss(model(X[idx]), y[idx])
        grads = torch.autograd.grad(loss, params)
        norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
        scale = min(1.0, 1.0 / (norm.item() + 1e-6))
        for p, g in zip(params, grads):
            p.grad = g * scale
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f} grad norm {norm.item():.3f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(model(X[1000:]), y[1000:]).item()
print(f"FINAL mse {mse:.4f}")
