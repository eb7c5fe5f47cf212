"""Generative model trained by minimising the debiased Sinkhorn divergence (Genevay et al.
2018; Feydy et al. 2019) between a batch of generated points and a batch of data points.
The generator maps 2-D Gaussian noise through an MLP to the two-moons distribution
(sklearn.datasets.make_moons). Entropic OT is solved with 20 log-domain Sinkhorn iterations
(logsumexp over the rows and columns of the [B, B] cost matrix), the dual potentials are
detached at convergence (envelope theorem), and the divergence is
OT(x, y) - (OT(x, x) + OT(y, y)) / 2. Metric: the Sinkhorn divergence and an RBF-kernel MMD
between 500 generated and 500 held-out data points, against the untrained generator and
against a Gaussian with the data's mean and covariance.
"""
import math

import torch
import torch.nn as nn
from sklearn.datasets import make_moons

torch.manual_seed(14)
EPS = 0.05


def moons(n, seed):
    x, _ = make_moons(n, noise=0.06, random_state=seed)
    x = torch.tensor(x, dtype=torch.float32)
    return (x - torch.tensor([0.5, 0.25])) / torch.tensor([0.87, 0.5])


def entropic_ot(x, y, iters=20):
    n, m = x.shape[0], y.shape[0]
    C = torch.cdist(x, y) ** 2 / 2
    log_a = torch.full((n,), -math.log(n))
    log_b = torch.full((m,), -math.log(m))
    f, g = torch.zeros(n), torch.zeros(m)
    with torch.no_grad():
        for _ in range(iters):
            f = -EPS * torch.logsumexp(log_b[None, :] + (g[None, :] - C) / EPS, dim=1)
            g = -EPS * torch.logsumexp(log_a[:, None] + (f[:, None] - C) / EPS, dim=0)
    # one differentiable pass with the converged (detached) potentials
    f = -EPS * torch.logsumexp(log_b[None, :] + (g[None, :] - C) / EPS, dim=1)
    g = -EPS * torch.logsumexp(log_a[:, None] + (f[:, None] - C) / EPS, dim=0)
    return f.mean() + g.mean()


def sinkhorn_divergence(x, y):
    return entropic_ot(x, y) - 0.5 * (entropic_ot(x, x) + entropic_ot(y, y))


def mmd(x, y, bw=0.2):
    k = lambda a, b: torch.exp(-torch.cdist(a, b) ** 2 / (2 * bw ** 2))
    return (k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()).item()


gen = nn.Sequential(nn.Linear(2, 128), nn.SiLU(), nn.Linear(128, 128), nn.SiLU(), nn.Linear(128, 2))
opt = torch.optim.Adam(gen.parameters(), lr=1e-3)
data = moons(20000, 0)
held_out = moons(500, 1)
z_eval = torch.randn(500, 2)
gauss = data.mean(0) + torch.randn(500, 2) @ torch.linalg.cholesky(torch.cov(data.t())).t()


def evaluate():
    with torch.no_grad():
        fake = gen(z_eval)
        return sinkhorn_divergence(fake, held_out).item(), mmd(fake, held_out)


print("gaussian fit: sinkhorn %.4f mmd %.4f" % (sinkhorn_divergence(gauss, held_out).item(), mmd(gauss, held_out)))
print("start: sinkhorn %.4f mmd %.4f" % evaluate())
for step in range(1, 301):
    real = data[torch.randint(0, len(data), (128,))]
    loss = sinkhorn_divergence(gen(torch.randn(128, 2)), real)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 75 == 0:
        print("step %d loss %.4f  eval sinkhorn %.4f mmd %.4f" % ((step, loss.item()) + evaluate()))
sd, m = evaluate()
print(f"FINAL sinkhorn {sd:.4f} mmd {m:.4f} (gaussian fit mmd {mmd(gauss, held_out):.4f})")
