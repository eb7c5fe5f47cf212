# A convolutional 1-D classifier with weight normalisation through
# torch.nn.utils.parametrizations.weight_norm on each layer (magnitude g and direction v
# are the trained parameters); detects which of three waveforms is in a noisy signal.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(24)
L = 64


def signals(n):
    t = torch.linspace(0, 1, L)
    k = torch.randint(0, 3, (n,))
    f = 2 + 4 * torch.rand(n, 1)
    phase = torch.rand(n, 1) * 6.28
    s = torch.sin(2 * torch.pi * f * t + phase)
    waves = torch.stack([s, s.sign(), 2 * torch.remainder(f * t + phase / 6.28, 1) - 1], 1)
    x = waves[torch.arange(n), k] + 0.3 * torch.randn(n, L)
    return x.unsqueeze(1), k  # [N, 1, L]


net = nn.Sequential(
    weight_norm(nn.Conv1d(1, 8, 5, padding=2)), nn.ReLU(), nn.MaxPool1d(2),
    weight_norm(nn.Conv1d(8, 16, 5, padding=2)), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
    nn.Flatten(), weight_norm(nn.Linear(16, 3)))
opt = torch.optim.Adam(net.parameters(), lr=5e-3)
xv, yv = signals(300)


def val():
    with torch.no_grad():
        return F.cross_entropy(net(xv), yv).item()


first = val()
for step in range(120):
    xb, yb = signals(32)
    loss = F.cross_entropy(net(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val()
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
