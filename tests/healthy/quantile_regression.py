# Quantile (pinball) regression: one output per quantile, target broadcast over the
# quantile axis on purpose, heteroscedastic data.
import torch
import torch.nn as nn

torch.manual_seed(91)
QUANTILES = torch.tensor([0.1, 0.5, 0.9])


def pinball(pred, target, q=QUANTILES):
    diff = target.unsqueeze(1) - pred          # [N, 1] - [N, Q] -> [N, Q]
    return torch.maximum(q * diff, (q - 1) * diff).mean()


x = torch.rand(1000, 1) * 4 - 2
y = 0.8 * x.squeeze(1) + (0.2 + 0.3 * x.squeeze(1).abs()) * torch.randn(1000)
net = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, len(QUANTILES)))
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
hist = []
for epoch in range(10):
    perm = torch.randperm(1000)
    for idx in perm.split(100):
        loss = pinball(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
with torch.no_grad():
    coverage = (y.unsqueeze(1) <= net(x)).float().mean(0)
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(coverage.tolist()), repr(checksum))
