# SNGAN-style: spectral-normalised discriminator (parametrizations), hinge loss,
# generator samples detached for the discriminator step, two Adam optimizers.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

torch.manual_seed(231)
target_mean = torch.tensor([1.5, -0.5, 0.5])
G = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 3))
D = nn.Sequential(spectral_norm(nn.Linear(3, 64)), nn.LeakyReLU(0.1), spectral_norm(nn.Linear(64, 64)),
                  nn.LeakyReLU(0.1), spectral_norm(nn.Linear(64, 1)))
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=4e-3, betas=(0.0, 0.9))


def gap():
    with torch.no_grad():
        return (G(torch.randn(512, 8)).mean(0) - target_mean).norm().item()


first = gap()
for step in range(200):
    real = target_mean + 0.3 * torch.randn(64, 3)
    fake = G(torch.randn(64, 8))
    d_loss = F.relu(1 - D(real)).mean() + F.relu(1 + D(fake.detach())).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = -D(fake).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
final = gap()
checksum = sum(p.detach().double().sum().item() for p in G.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
