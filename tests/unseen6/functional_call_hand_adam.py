"""Functional training loop without torch.optim: the weights live in a plain dict of leaf
tensors (cloned from a freshly built nn.Module, which is then only used as a stateless
architecture through torch.func.functional_call). Gradients come from torch.autograd.grad on
the dict's values and a hand-written Adam (bias-corrected moments, decoupled weight decay)
updates the dict in place under torch.no_grad(). Task: classify 1-D signals of 128 samples as
sine, square, sawtooth or triangle waves with random frequency, phase, amplitude and noise,
with a small 1-D CNN. Metric: test accuracy against the majority class.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

torch.manual_seed(11)
L = 128


def make(n):
    y = torch.randint(0, 4, (n,))
    t = torch.arange(L) / L
    f = torch.empty(n, 1).uniform_(2, 8)
    ph = torch.rand(n, 1)
    cyc = (f * t + ph) % 1.0
    waves = torch.stack([torch.sin(2 * math.pi * cyc), torch.sign(torch.sin(2 * math.pi * cyc)),
                         2 * cyc - 1, 1 - 4 * (cyc - 0.5).abs()], 0)
    x = waves[y, torch.arange(n)] * torch.empty(n, 1).uniform_(0.5, 1.5)
    return (x + 0.3 * torch.randn(n, L)).unsqueeze(1), y


net = nn.Sequential(
    nn.Conv1d(1, 16, 7, padding=3), nn.GELU(), nn.MaxPool1d(2),
    nn.Conv1d(16, 32, 5, padding=2), nn.GELU(), nn.MaxPool1d(2),
    nn.Conv1d(32, 32, 3, padding=1), nn.GELU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
    nn.Linear(32, 4))
params = {k: v.detach().clone().requires_grad_(True) for k, v in net.named_parameters()}
state = {k: (torch.zeros_like(v), torch.zeros_like(v)) for k, v in params.items()}


def adam_step(grads, step, lr=3e-3, b1=0.9, b2=0.999, eps=1e-8, wd=1e-4):
    with torch.no_grad():
        for (k, p), g in zip(params.items(), grads):
            m, v = state[k]
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            m_hat = m / (1 - b1 ** step)
            v_hat = v / (1 - b2 ** step)
            p.mul_(1 - lr * wd)
            p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


x_tr, y_tr = make(4000)
x_te, y_te = make(1000)


def accuracy():
    with torch.no_grad():
        return (functional_call(net, params, (x_te,)).argmax(1) == y_te).float().mean().item()


print(f"majority {torch.bincount(y_te).max().item() / len(y_te):.3f}; start acc {accuracy():.3f}")
step = 0
for epoch in range(8):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 64):
        b = perm[i:i + 64]
        logits = functional_call(net, params, (x_tr[b],))
        loss = F.cross_entropy(logits, y_tr[b])
        grads = torch.autograd.grad(loss, list(params.values()))
        step += 1
        adam_step(grads, step)
    print(f"epoch {epoch} loss {loss.item():.4f} test acc {accuracy():.3f}")
print(f"FINAL test_acc {accuracy():.3f}")
