"""Poisson regression of event counts trained the torch.func way: functional_call + grad,
parameters held in a dict and updated by hand. The rate is the network's raw output."""
import torch
import torch.nn as nn
from torch.func import functional_call, grad_and_value

torch.manual_seed(17)
X = torch.randn(1000, 5)
rate_true = torch.exp(0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.2)
counts = torch.poisson(rate_true)[:, None]

model = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 1))
params = {k: v.detach() for k, v in model.named_parameters()}


def loss_fn(params, x, k):
    rate = functional_call(model, params, (x,))
    return (rate - k * torch.log(rate)).mean()  # Poisson NLL up to a constant


step = grad_and_value(loss_fn)
lr = 0.05
for epoch in range(20):
    for i in range(0, 800, 100):
        grads, loss = step(params, X[i:i + 100], counts[i:i + 100])
        params = {k: p - lr * grads[k] for k, p in params.items()}
    print(f"epoch {epoch} nll {loss.item():.4f}")
with torch.no_grad():
    pred = functional_call(model, params, (X[800:],))
    mse = ((pred - counts[800:]) ** 2).mean().item()
print(f"FINAL mse {mse:.4f}")
