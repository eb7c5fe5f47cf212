# Counting ATen operators of whole training steps with a TorchDispatchMode (forward,
# backward and the optimizer update), as a custom profiler would.
from collections import defaultdict

import torch
import torch.nn as nn
from torch.utils._python_dispatch import TorchDispatchMode


class OpCounter(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.counts = defaultdict(int)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.counts[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))


torch.manual_seed(171)
model = nn.Sequential(nn.Linear(4, 24), nn.Tanh(), nn.Linear(24, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
X = torch.randn(200, 4)
y = (X[:, 0] * X[:, 1] > 0).long()
hist, per_step = [], []
for step in range(50):
    idx = torch.arange(step * 40, step * 40 + 40) % 200
    with OpCounter() as ops:
        loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    per_step.append(sum(ops.counts.values()))
    hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(sorted(set(per_step))), repr(checksum))
