# Model ensembling with torch.func: stacked parameters, vmap over members,
# functional_call for the forward and torch.func.grad for per-member gradients.
import copy

import torch
import torch.nn as nn
from torch.func import functional_call, grad, stack_module_state, vmap

torch.manual_seed(151)
MEMBERS = 4
members = [nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1)) for _ in range(MEMBERS)]
params, buffers = stack_module_state(members)
base = copy.deepcopy(members[0]).to("meta")


def loss_fn(p, b, x, y):
    pred = functional_call(base, (p, b), (x,))
    return ((pred - y) ** 2).mean()


per_member_grad = vmap(grad(loss_fn), in_dims=(0, 0, None, None))
per_member_loss = vmap(loss_fn, in_dims=(0, 0, None, None))
X = torch.rand(256, 2) * 2 - 1
Y = (X[:, :1] * X[:, 1:]) * 3
first = per_member_loss(params, buffers, X, Y).mean().item()
lr = 0.2
for step in range(150):
    idx = torch.randint(0, 256, (64,))
    g = per_member_grad(params, buffers, X[idx], Y[idx])
    params = {k: v - lr * g[k] for k, v in params.items()}
final = per_member_loss(params, buffers, X, Y).mean().item()
checksum = sum(v.double().sum().item() for v in params.values())
print("RESULT", repr(first), repr(final), repr(checksum))
