"""WaveNet-style forecaster: a stack of dilated causal Conv1d layers (left padding with
F.pad, dilations 1, 2, 4, 8, 16), gated tanh * sigmoid activations, residual and skip
connections, predicting the next value of every position of a noisy quasi-periodic signal
(teacher forcing over whole windows). Compared with the persistence forecast y[t+1] = y[t]."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(41)
T_TOTAL, WIN = 6000, 128
t = torch.arange(T_TOTAL, dtype=torch.float)
series = torch.sin(2 * math.pi * t / 37) + 0.5 * torch.sin(2 * math.pi * t / 11.3) * torch.sin(2 * math.pi * t / 400)
series = series + 0.05 * torch.randn(T_TOTAL)
train, test = series[:5000], series[5000:]


class GatedBlock(nn.Module):
    def __init__(self, ch, dilation):
        super().__init__()
        self.dilation = dilation
        self.filt = nn.Conv1d(ch, ch, 2, dilation=dilation)
        self.gate = nn.Conv1d(ch, ch, 2, dilation=dilation)
        self.res = nn.Conv1d(ch, ch, 1)
        self.skip = nn.Conv1d(ch, ch, 1)

    def forward(self, x):
        xp = F.pad(x, (self.dilation, 0))  # causal: only the past
        h = torch.tanh(self.filt(xp)) * torch.sigmoid(self.gate(xp))
        return x + self.res(h), self.skip(h)


class WaveNet(nn.Module):
    def __init__(self, ch=24):
        super().__init__()
        self.inp = nn.Conv1d(1, ch, 1)
        self.blocks = nn.ModuleList(GatedBlock(ch, d) for d in (1, 2, 4, 8, 16))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(ch, ch, 1), nn.ReLU(), nn.Conv1d(ch, 1, 1))

    def forward(self, x):  # x: [B, 1, T]
        h = self.inp(x)
        skips = 0
        for blk in self.blocks:
            h, s = blk(h)
            skips = skips + s
        return self.head(skips)


def windows(s, n):
    starts = torch.randint(0, len(s) - WIN - 1, (n,))
    idx = starts[:, None] + torch.arange(WIN + 1)
    w = s[idx]
    return w[:, None, :-1], w[:, None, 1:]


model = WaveNet()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
torch.manual_seed(7)
xv, yv = windows(test, 64)
persistence = ((xv - yv) ** 2)[..., 32:].mean().item()
torch.manual_seed(41)
evaluate = lambda: ((model(xv) - yv) ** 2)[..., 32:].mean().item()
with torch.no_grad():
    print(f"start test mse {evaluate():.4f} (persistence {persistence:.4f})")
for step in range(100):
    x, y = windows(train, 32)
    loss = F.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 25 == 0:
        print(f"step {step} train mse {loss.item():.4f}")
with torch.no_grad():
    m = evaluate()
print(f"end test mse {m:.4f} (persistence {persistence:.4f})")
print(f"FINAL test_mse {m:.4f}")
