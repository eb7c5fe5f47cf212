# Training with torch.func: the loss is a pure function of a dict of parameters evaluated
# with functional_call; torch.func.grad returns a dict of gradients which is applied by hand
# (Adam written in a few lines over the dict), then loaded back into the module.
import torch
import torch.nn as nn
from torch.func import functional_call, grad

torch.manual_seed(11)
model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
params = {k: v.detach().clone() for k, v in model.named_parameters()}

X = torch.rand(256, 2) * 4 - 2
y = (X[:, :1] ** 2 - X[:, 1:] ** 2) / 2


def loss_fn(p, xb, yb):
    pred = functional_call(model, p, (xb,))
    return ((pred - yb) ** 2).mean()


grad_fn = grad(loss_fn)
m = {k: torch.zeros_like(v) for k, v in params.items()}
v = {k: torch.zeros_like(t) for k, t in params.items()}
lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-8
first = loss_fn(params, X, y).item()
for t in range(1, 201):
    idx = torch.randint(0, 256, (64,))
    g = grad_fn(params, X[idx], y[idx])
    for k in params:
        m[k] = b1 * m[k] + (1 - b1) * g[k]
        v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
        mhat, vhat = m[k] / (1 - b1 ** t), v[k] / (1 - b2 ** t)
        params[k] = params[k] - lr * mhat / (vhat.sqrt() + eps)

model.load_state_dict(params)
with torch.no_grad():
    final = ((model(X) - y) ** 2).mean().item()
checksum = sum(t.double().sum().item() for t in params.values())
print("RESULT", repr(first), repr(final), repr(checksum))
