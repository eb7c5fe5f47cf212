"""A small VAE written with torch.distributions: Normal posterior with rsample,
analytic KL to the prior, Bernoulli likelihood on binary data (logits)."""
import torch
import torch.nn as nn
from torch.distributions import Bernoulli, Normal, kl_divergence

torch.manual_seed(81)
D, Z = 20, 3
protos = (torch.rand(4, D) > 0.5).float()
data = protos[torch.randint(0, 4, (800,))]
data = torch.where(torch.rand_like(data) < 0.05, 1 - data, data)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 2 * Z))
        self.dec = nn.Sequential(nn.Linear(Z, 64), nn.ReLU(), nn.Linear(64, D))

    def forward(self, x):
        mu, log_sigma = self.enc(x).chunk(2, dim=-1)
        q = Normal(mu, log_sigma.exp())
        z = q.rsample()
        px = Bernoulli(logits=self.dec(z))
        prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
        return px.log_prob(x).sum(-1), kl_divergence(q, prior).sum(-1)


vae = VAE()
opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
elbo_hist = []
for epoch in range(12):
    for xb in data.split(80):
        rec, kl = vae(xb)
        loss = -(rec - kl).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        elbo_hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in vae.parameters())
print("RESULT", repr(elbo_hist[0]), repr(elbo_hist[-1]), repr(checksum))
