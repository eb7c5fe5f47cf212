"""One-class Deep SVDD (Ruff et al. 2018) for anomaly detection on sensor windows.

Normal data: 32-sample windows of a noisy sine with random phase and amplitude near 1.
Anomalies (test only): windows with a spike burst, a frequency change or a flat segment.
As in the paper the network has no bias terms (a bias would allow the trivial collapse to
the centre); the centre c is the mean embedding of the training data under the initial
network (coordinates too close to 0 pushed to +-eps) and is then fixed; the loss is the
mean squared distance of the embeddings to c, with weight decay. Training uses only normal
windows, so the loss is meant to shrink towards 0.
Metric: ROC AUC of the distance score, normal test windows versus anomalies, at
initialisation and after training.
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(31)
L = 32
t = torch.arange(L).float()


def normal_windows(n):
    phase = torch.rand(n, 1) * 2 * math.pi
    amp = 1 + 0.1 * torch.randn(n, 1)
    return amp * torch.sin(2 * math.pi * t / 16 + phase) + 0.1 * torch.randn(n, L)


def anomalies(n):
    x = normal_windows(n)
    kind = torch.randint(0, 3, (n,))
    for i in range(n):
        s = torch.randint(0, L - 8, (1,)).item()
        if kind[i] == 0:
            x[i, s:s + 3] += 1.2 * torch.randn(3)
        elif kind[i] == 1:
            x[i] = torch.sin(2 * math.pi * t / 10 + torch.rand(1) * 6.28) + 0.1 * torch.randn(L)
        else:
            x[i, s:s + 8] = x[i, s]
    return x


def auc(scores_normal, scores_anom):
    s = torch.cat([scores_normal, scores_anom])
    ranks = torch.empty_like(s)
    ranks[s.argsort()] = torch.arange(1, len(s) + 1, dtype=s.dtype)
    n_a, n_n = len(scores_anom), len(scores_normal)
    return ((ranks[n_n:].sum() - n_a * (n_a + 1) / 2) / (n_a * n_n)).item()


net = nn.Sequential(nn.Conv1d(1, 16, 5, padding=2, bias=False), nn.LeakyReLU(0.1), nn.MaxPool1d(2),
                    nn.Conv1d(16, 16, 5, padding=2, bias=False), nn.LeakyReLU(0.1), nn.MaxPool1d(2),
                    nn.Flatten(), nn.Linear(16 * 8, 16, bias=False))
x_tr = normal_windows(3000).unsqueeze(1)
x_te_n = normal_windows(500).unsqueeze(1)
x_te_a = anomalies(500).unsqueeze(1)

with torch.no_grad():
    c = net(x_tr).mean(0)
    eps = 0.1
    c[(c.abs() < eps) & (c < 0)] = -eps
    c[(c.abs() < eps) & (c >= 0)] = eps


@torch.no_grad()
def evaluate():
    d_n = ((net(x_te_n) - c) ** 2).sum(1)
    d_a = ((net(x_te_a) - c) ** 2).sum(1)
    return auc(d_n, d_a), d_n.mean().item()


print(f"random-guess AUC 0.5; AUC at initialisation {evaluate()[0]:.3f}")
opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-6)
for epoch in range(8):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 128):
        z = net(x_tr[perm[i:i + 128]])
        loss = ((z - c) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 2 == 1:
        a, d = evaluate()
        print(f"epoch {epoch} loss {loss.item():.4f} test AUC {a:.3f} mean normal distance {d:.4f}")
print(f"FINAL anomaly AUC {evaluate()[0]:.3f} (random 0.5), final loss {loss.item():.4f}")
