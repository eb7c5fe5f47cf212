"""Mixture density network (Bishop 1994) on the classic inverse problem: the forward map
x = y + 0.3 sin(2 pi y) + noise is easy, but predicting y from x is multi-valued, so a
regressor trained with MSE averages the branches. The MDN outputs the logits, means and
log-scales of a 5-component Gaussian mixture and is trained on the negative log-likelihood
of torch.distributions.MixtureSameFamily. Metric: held-out NLL against a single Gaussian
fitted to y (the constant predictor) and against a linear-Gaussian regression.
"""
import math

import torch
import torch.nn as nn
import torch.distributions as D

torch.manual_seed(3)


def make(n):
    y = torch.rand(n, 1)
    x = y + 0.3 * torch.sin(2 * math.pi * y) + 0.05 * torch.randn(n, 1)
    return x, y.squeeze(1)


class MDN(nn.Module):
    def __init__(self, k=5, h=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, h), nn.Tanh(), nn.Linear(h, h), nn.Tanh())
        self.logits = nn.Linear(h, k)
        self.means = nn.Linear(h, k)
        self.log_scales = nn.Linear(h, k)

    def forward(self, x):
        h = self.body(x)
        scales = self.log_scales(h).clamp(-7, 3).exp()
        mix = D.Categorical(logits=self.logits(h))
        comp = D.Normal(self.means(h), scales)
        return D.MixtureSameFamily(mix, comp)


x_tr, y_tr = make(4000)
x_te, y_te = make(2000)
const_nll = -D.Normal(y_tr.mean(), y_tr.std()).log_prob(y_te).mean().item()
A = torch.cat([x_tr, torch.ones_like(x_tr)], 1)
coef = torch.linalg.lstsq(A, y_tr.unsqueeze(1)).solution
resid = (y_tr.unsqueeze(1) - A @ coef).std()
lin_nll = -D.Normal((torch.cat([x_te, torch.ones_like(x_te)], 1) @ coef).squeeze(1), resid).log_prob(y_te).mean().item()

model = MDN()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


@torch.no_grad()
def test_nll():
    return -model(x_te).log_prob(y_te).mean().item()


print(f"baselines: constant gaussian nll {const_nll:.4f}  linear gaussian nll {lin_nll:.4f}")
print(f"start test nll {test_nll():.4f}")
for epoch in range(30):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 200):
        b = perm[i:i + 200]
        loss = -model(x_tr[b]).log_prob(y_tr[b]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch} train {loss.item():.4f} test {test_nll():.4f}")
print(f"FINAL test_nll {test_nll():.4f} (constant {const_nll:.4f}, linear {lin_nll:.4f})")
