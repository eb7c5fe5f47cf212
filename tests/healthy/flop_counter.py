"""FlopCounterMode around the first training steps to report the cost of a step, then
plain training; the measured FLOPs are part of the result."""
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

torch.manual_seed(181)
model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
X = torch.randn(320, 1, 8, 8)
y = (X.mean((1, 2, 3)) * 20).long().clamp(-4, 5) + 4
flops, hist = [], []
for step in range(80):
    xb, yb = X[step % 10 * 32:(step % 10 + 1) * 32], y[step % 10 * 32:(step % 10 + 1) * 32]
    counter = FlopCounterMode(display=False)
    with counter:
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
    opt.step()
    flops.append(counter.get_total_flops())
    hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(sorted(set(flops))), repr(checksum))
