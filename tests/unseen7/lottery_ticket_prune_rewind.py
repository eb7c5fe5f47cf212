"""Lottery-ticket style iterative magnitude pruning with torch.nn.utils.prune.

Round 0 trains a dense MLP. Each later round prunes 40% of the remaining weights globally
by magnitude (prune.global_unstructured with L1Unstructured, so every pruned Linear gets a
`weight_orig` parameter and a `weight_mask` buffer applied by a forward pre-hook), rewinds
the surviving weights to their values at initialisation (writing into weight_orig under
no_grad), builds a fresh optimizer and retrains. At the end the masks are made permanent
with prune.remove.
Metric: test accuracy per round with the sparsity reached (4-class nonlinear task, chance
0.25); the 78%-sparse ticket should match the dense network.
"""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

torch.manual_seed(23)


def make(n):
    x = torch.randn(n, 16)
    s = torch.stack([x[:, 0] * x[:, 1], torch.sin(2 * x[:, 2]), x[:, 3] ** 2 - 1, -x[:, 4] - x[:, 5]], 1)
    return x, s.argmax(1)


x_tr, y_tr = make(4000)
x_te, y_te = make(2000)
model = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 4))
init_state = copy.deepcopy(model.state_dict())
layers = [(model[0], "weight"), (model[2], "weight"), (model[4], "weight")]


def train(steps=90):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        idx = torch.randint(0, len(x_tr), (128,))
        loss = F.cross_entropy(model(x_tr[idx]), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


@torch.no_grad()
def test_acc():
    return (model(x_te).argmax(1) == y_te).float().mean().item()


def sparsity():
    zeros = sum((getattr(m, n) == 0).sum().item() for m, n in layers)
    total = sum(getattr(m, n).numel() for m, n in layers)
    return zeros / total


@torch.no_grad()
def rewind():
    for i, (m, _) in zip((0, 2, 4), layers):
        m.weight_orig.copy_(init_state[f"{i}.weight"])
        m.bias.copy_(init_state[f"{i}.bias"])


print(f"chance 0.25; start acc {test_acc():.3f}")
for rnd in range(4):
    if rnd > 0:
        prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=0.4)
        rewind()
    loss = train()
    print(f"round {rnd}: sparsity {sparsity():.2f} train loss {loss:.3f} test acc {test_acc():.3f}")
for m, n in layers:
    prune.remove(m, n)
print(f"FINAL ticket test acc {test_acc():.3f} at sparsity {sparsity():.2f} (chance 0.25)")
