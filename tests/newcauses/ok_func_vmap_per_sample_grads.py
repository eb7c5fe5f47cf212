"""Per-sample gradients with torch.func (vmap over grad of a functional_call), clipped per
sample and averaged before a hand-written update, DP-SGD style (without the noise)."""
import torch
import torch.nn as nn
from torch.func import functional_call, grad, vmap

torch.manual_seed(32)
centers = 2.0 * torch.randn(3, 6)
y = torch.randint(0, 3, (900,))
X = centers[y] + torch.randn(900, 6)
model = nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 3))
params = {k: v.detach().clone() for k, v in model.named_parameters()}


def sample_loss(params, x, t):
    logits = functional_call(model, params, (x.unsqueeze(0),))
    return nn.functional.cross_entropy(logits, t.unsqueeze(0))


per_sample_grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))
lr, clip = 0.2, 1.0
for epoch in range(8):
    perm = torch.randperm(700)
    for i in range(0, 700, 50):
        idx = perm[i:i + 50]
        g = per_sample_grads(params, X[idx], y[idx])
        norms = torch.sqrt(sum(v.flatten(1).pow(2).sum(1) for v in g.values()))
        factor = (clip / (norms + 1e-6)).clamp(max=1.0)
        params = {k: p - lr * (g[k] * factor.view(-1, *[1] * (g[k].dim() - 1))).mean(0)
                  for k, p in params.items()}
    with torch.no_grad():
        loss = nn.functional.cross_entropy(functional_call(model, params, (X[:700],)), y[:700])
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (functional_call(model, params, (X[700:],)).argmax(1) == y[700:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
