"""A user's own TorchFunctionMode that counts the torch functions the training step calls
(the kind of instrumentation people write to audit ops); the count is part of the result."""
from collections import Counter

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode


class CountCalls(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.calls = Counter()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls[getattr(func, "__name__", str(func))] += 1
        return func(*args, **(kwargs or {}))


torch.manual_seed(161)
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
X = torch.randn(256, 5)
y = X.sum(1, keepdim=True).tanh()
counter = CountCalls()
hist = []
for step in range(60):
    xb, yb = X[step % 4 * 64:(step % 4 + 1) * 64], y[step % 4 * 64:(step % 4 + 1) * 64]
    with counter:
        loss = nn.functional.mse_loss(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(sum(counter.calls.values())),
      repr(sorted(counter.calls.items())), repr(checksum))
