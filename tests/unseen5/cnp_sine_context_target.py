"""Conditional neural process on random sine functions: an encoder embeds every (x, y)
context pair, the embeddings are averaged into one representation per function, and a
decoder maps (x_target, representation) to a mean and a bounded standard deviation; the loss
is the Gaussian negative log-likelihood of the target points (torch.distributions.Normal).
Every batch draws new functions and a random number of context points."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal

torch.manual_seed(23)


def sample_functions(b, n_points=30):
    amp = 0.5 + 1.5 * torch.rand(b, 1, 1)
    phase = 3.14 * torch.rand(b, 1, 1)
    x = torch.rand(b, n_points, 1) * 6 - 3
    y = amp * torch.sin(x + phase)
    n_ctx = torch.randint(3, 15, ()).item()
    return x[:, :n_ctx], y[:, :n_ctx], x, y


class CNP(nn.Module):
    def __init__(self, h=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(2, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, h))
        self.decoder = nn.Sequential(nn.Linear(h + 1, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 2))

    def forward(self, xc, yc, xt):
        r = self.encoder(torch.cat([xc, yc], -1)).mean(1, keepdim=True)
        out = self.decoder(torch.cat([xt, r.expand(-1, xt.shape[1], -1)], -1))
        mu, raw_sigma = out.chunk(2, -1)
        return mu, 0.05 + 0.95 * F.softplus(raw_sigma)


model = CNP()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
torch.manual_seed(99)
val = sample_functions(256)
torch.manual_seed(23)


@torch.no_grad()
def evaluate():
    xc, yc, xt, yt = val
    mu, sigma = model(xc, yc, xt)
    return -Normal(mu, sigma).log_prob(yt).mean().item(), ((mu - yt) ** 2).mean().item()


nll, mse = evaluate()
print(f"start val nll {nll:.3f} mse {mse:.3f}")
for step in range(500):
    xc, yc, xt, yt = sample_functions(32)
    mu, sigma = model(xc, yc, xt)
    loss = -Normal(mu, sigma).log_prob(yt).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 125 == 0:
        print(f"step {step} nll {loss.item():.3f}")
nll, mse = evaluate()
print(f"end val nll {nll:.3f} mse {mse:.3f}")
print(f"FINAL val_nll {nll:.3f}")
