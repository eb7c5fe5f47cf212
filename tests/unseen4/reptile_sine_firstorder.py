"""First-order meta-learning (Reptile) on sine-wave regression: each meta-iteration
deep-copies the meta-model, adapts the copy with a fresh inner SGD optimizer for k steps on
one task, then moves the meta-parameters towards the adapted ones in place."""
import copy
import math

import torch
import torch.nn as nn

torch.manual_seed(6)


def task():
    amp = 0.5 + 4.5 * torch.rand(1)
    phase = math.pi * torch.rand(1)
    return lambda x: amp * torch.sin(x + phase)


def batch(f, n=10):
    x = torch.rand(n, 1) * 10 - 5
    return x, f(x)


meta = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
INNER_STEPS, INNER_LR, META_LR = 8, 0.02, 0.1


def adapt(model, f, steps=INNER_STEPS):
    learner = copy.deepcopy(model)
    inner = torch.optim.SGD(learner.parameters(), lr=INNER_LR)
    for _ in range(steps):
        x, y = batch(f)
        loss = nn.functional.mse_loss(learner(x), y)
        inner.zero_grad()
        loss.backward()
        inner.step()
    return learner


def evaluate(model, n_tasks=20):
    g = torch.Generator().manual_seed(123)
    total = 0.0
    for _ in range(n_tasks):
        amp = 0.5 + 4.5 * torch.rand(1, generator=g)
        phase = math.pi * torch.rand(1, generator=g)
        f = lambda x: amp * torch.sin(x + phase)
        learner = adapt(model, f)
        xs = torch.linspace(-5, 5, 100)[:, None]
        with torch.no_grad():
            total += nn.functional.mse_loss(learner(xs), f(xs)).item()
    return total / n_tasks


print(f"start post-adaptation mse {evaluate(meta):.3f}")
for it in range(600):
    f = task()
    learner = adapt(meta, f)
    eps = META_LR * (1 - it / 600)
    with torch.no_grad():
        for p, q in zip(meta.parameters(), learner.parameters()):
            p.add_(eps * (q - p))
end = evaluate(meta)
print(f"end post-adaptation mse {end:.3f}")
print(f"FINAL post_adapt_mse {end:.3f}")
