"""Deep-kernel Gaussian process regression: a small MLP maps 1-D inputs to features, an RBF
kernel with learned lengthscale, output scale and noise acts on them, and the exact negative
log marginal likelihood (via torch.linalg.cholesky and cholesky_solve) is minimised. The
posterior mean predicts held-out points."""
import math

import torch
import torch.nn as nn

torch.manual_seed(8)
x = torch.rand(160, 1) * 6 - 3
f = lambda t: torch.sin(2.5 * t) * (t > 0).float() + 0.4 * t * (t <= 0).float()
y = (f(x) + 0.1 * torch.randn_like(x)).squeeze(1)
x_test = torch.linspace(-3, 3, 200)[:, None]
y_test = f(x_test).squeeze(1)


class DeepKernelGP(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 2))
        self.log_ls = nn.Parameter(torch.zeros(()))
        self.log_os = nn.Parameter(torch.zeros(()))
        self.log_noise = nn.Parameter(torch.tensor(-1.0))

    def kernel(self, a, b):
        za, zb = self.features(a), self.features(b)
        d2 = torch.cdist(za, zb) ** 2
        return self.log_os.exp() * torch.exp(-0.5 * d2 / self.log_ls.exp() ** 2)

    def nll(self, x, y):
        K = self.kernel(x, x) + (self.log_noise.exp() + 1e-4) * torch.eye(len(x))
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(y[:, None], L)
        return (0.5 * (y[:, None] * alpha).sum() + torch.log(torch.diagonal(L)).sum()
                + 0.5 * len(x) * math.log(2 * math.pi)) / len(x)

    @torch.no_grad()
    def predict(self, x, y, xs):
        K = self.kernel(x, x) + (self.log_noise.exp() + 1e-4) * torch.eye(len(x))
        L = torch.linalg.cholesky(K)
        return (self.kernel(xs, x) @ torch.cholesky_solve(y[:, None], L)).squeeze(1)


gp = DeepKernelGP()
opt = torch.optim.Adam(gp.parameters(), lr=0.02)
rmse = lambda: ((gp.predict(x, y, x_test) - y_test) ** 2).mean().sqrt().item()
print(f"start nll/pt {gp.nll(x, y).item():.3f} test rmse {rmse():.3f}")
for it in range(200):
    loss = gp.nll(x, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 50 == 0:
        print(f"iter {it} nll/pt {loss.item():.3f} noise {gp.log_noise.exp().item():.4f}")
r = rmse()
print(f"end nll/pt {gp.nll(x, y).item():.3f} test rmse {r:.3f}")
print(f"FINAL test_rmse {r:.3f}")
