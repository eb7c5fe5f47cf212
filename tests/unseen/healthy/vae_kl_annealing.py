# A Gaussian VAE on binary 8x8 patterns with a linear KL warm-up (beta from 0 to 1 over the
# first epochs), reparameterisation trick, Bernoulli likelihood. Measured: the held-out
# negative ELBO with beta = 1.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(36)


def patterns(n):
    imgs = torch.zeros(n, 8, 8)
    rows = torch.randint(0, 8, (n,))
    cols = torch.randint(0, 8, (n,))
    imgs[torch.arange(n), rows, :] = 1
    imgs[torch.arange(n), :, cols] = 1
    flip = torch.rand(n, 8, 8) < 0.03
    return (imgs + flip.float()).remainder(2).view(n, 64)


class VAE(nn.Module):
    def __init__(self, z=4):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(64, 128), nn.ReLU())
        self.mu, self.logvar = nn.Linear(128, z), nn.Linear(128, z)
        self.dec = nn.Sequential(nn.Linear(z, 128), nn.ReLU(), nn.Linear(128, 64))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


def elbo_terms(model, x):
    logits, mu, logvar = model(x)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(x)
    return rec, kl


model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
train, test = patterns(1024), patterns(256)


def test_neg_elbo():
    with torch.no_grad():
        rec, kl = elbo_terms(model, test)
        return (rec + kl).item()


first = test_neg_elbo()
warmup_steps, step = 60, 0
for epoch in range(8):
    for xb in train[torch.randperm(1024)].split(64):
        beta = min(1.0, step / warmup_steps)
        rec, kl = elbo_terms(model, xb)
        loss = rec + beta * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
final = test_neg_elbo()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
