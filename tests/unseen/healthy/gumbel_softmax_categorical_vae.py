# A categorical-latent autoencoder with the Gumbel-softmax relaxation (hard=True, i.e.
# straight-through one-hot samples) and a temperature annealed over training, plus the KL
# to a uniform prior. Data: noisy copies of 6 prototypes.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(27)
K, D = 6, 20
protos = (torch.rand(K, D) > 0.5).float()
X = (protos[torch.randint(0, K, (1200,))] + 0.15 * torch.randn(1200, D)).clamp(0, 1)

encoder = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, K))
decoder = nn.Sequential(nn.Linear(K, 64), nn.ReLU(), nn.Linear(64, D))
opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=3e-3)


def loss_terms(x, tau, hard=True):
    logits = encoder(x)
    z = F.gumbel_softmax(logits, tau=tau, hard=hard)
    recon = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="none").sum(1).mean()
    q = F.softmax(logits, -1)
    kl = (q * (torch.log(q + 1e-10) + math.log(K))).sum(1).mean()
    return recon, kl


def test_recon():
    with torch.no_grad():
        logits = encoder(X[1000:])
        z = F.one_hot(logits.argmax(-1), K).float()
        return F.binary_cross_entropy_with_logits(decoder(z), X[1000:], reduction="none").sum(1).mean().item()


first = test_recon()
step = 0
for epoch in range(12):
    for b in torch.randperm(1000).split(50):
        tau = max(0.5, math.exp(-3e-3 * step))
        recon, kl = loss_terms(X[b], tau)
        loss = recon + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
final = test_recon()
checksum = sum(p.detach().double().sum().item() for p in [*encoder.parameters(), *decoder.parameters()])
print("RESULT", repr(first), repr(final), repr(checksum))
