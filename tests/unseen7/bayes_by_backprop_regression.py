"""Bayes by Backprop (Blundell et al. 2015) for 1-D regression.

Every weight has a Gaussian variational posterior N(mu, softplus(rho)^2); each forward pass
samples weights by the reparameterisation trick, and the loss is the negative ELBO:
Gaussian NLL of the targets (fixed noise std 0.1) plus KL(q || N(0, 1)) / N_train,
computed in closed form. Prediction averages 30 sampled networks. The data has a gap in
the middle, where the predictive std should grow.
Metrics: test RMSE against the constant predictor, and the predictive std inside the gap
versus on the training range.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
NOISE = 0.1


class BayesLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.w_mu = nn.Parameter(torch.randn(n_out, n_in) / math.sqrt(n_in))
        self.w_rho = nn.Parameter(torch.full((n_out, n_in), -5.0))
        self.b_mu = nn.Parameter(torch.zeros(n_out))
        self.b_rho = nn.Parameter(torch.full((n_out,), -5.0))

    def forward(self, x):
        w_sigma, b_sigma = F.softplus(self.w_rho), F.softplus(self.b_rho)
        w = self.w_mu + w_sigma * torch.randn_like(w_sigma)
        b = self.b_mu + b_sigma * torch.randn_like(b_sigma)
        return F.linear(x, w, b)

    def kl(self):
        total = 0.0
        for mu, rho in ((self.w_mu, self.w_rho), (self.b_mu, self.b_rho)):
            sigma = F.softplus(rho)
            total = total + (0.5 * (sigma ** 2 + mu ** 2 - 1) - torch.log(sigma)).sum()
        return total


class BNN(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.l1, self.l2, self.l3 = BayesLinear(1, hidden), BayesLinear(hidden, hidden), BayesLinear(hidden, 1)

    def forward(self, x):
        return self.l3(torch.tanh(self.l2(torch.tanh(self.l1(x)))))

    def kl(self):
        return self.l1.kl() + self.l2.kl() + self.l3.kl()


def f(x):
    return torch.sin(3 * x) + 0.3 * x


x_tr = torch.cat([torch.rand(300, 1) * 1.5 - 2.0, torch.rand(300, 1) * 1.5 + 0.5])
y_tr = f(x_tr) + NOISE * torch.randn_like(x_tr)
x_te = torch.cat([torch.rand(300, 1) * 1.5 - 2.0, torch.rand(300, 1) * 1.5 + 0.5])
y_te = f(x_te)
x_gap = torch.linspace(-0.4, 0.4, 50).unsqueeze(1)

net = BNN()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)


@torch.no_grad()
def predict(x, samples=30):
    preds = torch.stack([net(x) for _ in range(samples)])
    return preds.mean(0), preds.std(0)


def report():
    mean, std = predict(x_te)
    _, std_gap = predict(x_gap)
    rmse = (mean - y_te).pow(2).mean().sqrt().item()
    return rmse, std.mean().item(), std_gap.mean().item()


const_rmse = (y_te - y_tr.mean()).pow(2).mean().sqrt().item()
print(f"constant rmse {const_rmse:.3f}; start rmse {report()[0]:.3f}")
n = len(x_tr)
for step in range(400):
    idx = torch.randint(0, n, (100,))
    pred = net(x_tr[idx])
    nll = 0.5 * ((pred - y_tr[idx]) / NOISE).pow(2).mean() + math.log(NOISE)
    loss = nll + net.kl() / n
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0:
        print(f"step {step} -elbo/n {loss.item():.3f} rmse {report()[0]:.3f}")
rmse, std_in, std_gap = report()
print(f"FINAL test rmse {rmse:.3f} (constant {const_rmse:.3f}); predictive std on the data "
      f"{std_in:.3f}, in the gap {std_gap:.3f}")
