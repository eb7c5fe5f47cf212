"""Functional training loop (torch.func.grad over a functional_call), a hand-written SGD update
on the parameter dict; the learning rate came from a config tuned for a normalised loss."""
import torch
import torch.nn as nn
from torch.func import functional_call, grad

CONFIG = {"lr": 1.0, "epochs": 25, "batch": 64}

torch.manual_seed(18)
X = torch.rand(1000, 4) * 3 - 1.5
y = X[:, :1] * X[:, 1:2] + 0.5 * X[:, 2:3] ** 2
model = nn.Sequential(nn.Linear(4, 64), nn.GELU(), nn.Linear(64, 1))
params = {name: p.detach().clone() for name, p in model.named_parameters()}


def compute_loss(params, xb, yb):
    pred = functional_call(model, params, (xb,))
    return ((pred - yb) ** 2).mean()


grad_fn = grad(compute_loss)
for epoch in range(CONFIG["epochs"]):
    perm = torch.randperm(800)
    for i in range(0, 800, CONFIG["batch"]):
        idx = perm[i:i + CONFIG["batch"]]
        g = grad_fn(params, X[idx], y[idx])
        params = {k: v - CONFIG["lr"] * g[k] for k, v in params.items()}
    print(f"epoch {epoch} loss {compute_loss(params, X[:800], y[:800]).item():.4f}")
print(f"FINAL mse {compute_loss(params, X[800:], y[800:]).item():.4f}")
