"""torch.func training: the loss is a pure function of a parameter dict (functional_call), its
gradient comes from torch.func.grad_and_value, and the update is written by hand."""
import torch
import torch.nn as nn
from torch.func import functional_call, grad_and_value

torch.manual_seed(31)
X = torch.rand(1000, 4) * 3 - 1.5
y = X[:, :1] * X[:, 1:2] + 0.5 * X[:, 2:3] ** 2
model = nn.Sequential(nn.Linear(4, 64), nn.GELU(), nn.Linear(64, 1))
params = {name: p.detach().clone() for name, p in model.named_parameters()}


def compute_loss(params, xb, yb):
    pred = functional_call(model, params, (xb,))
    return ((pred - yb) ** 2).mean()


step_fn = grad_and_value(compute_loss)
lr = 0.1
for epoch in range(25):
    perm = torch.randperm(800)
    for i in range(0, 800, 64):
        idx = perm[i:i + 64]
        grads, loss = step_fn(params, X[idx], y[idx])
        params = {k: v - lr * grads[k] for k, v in params.items()}
    print(f"epoch {epoch} loss {loss.item():.4f}")
print(f"FINAL mse {compute_loss(params, X[800:], y[800:]).item():.4f}")
