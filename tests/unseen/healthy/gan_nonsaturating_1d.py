# A GAN on a 1-D bimodal distribution with the non-saturating generator loss, two Adam
# optimizers (betas 0.5, 0.999), the discriminator updated on detached fakes. Measured: the
# 1-D Wasserstein distance between generated and real samples (sorted-sample difference).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(35)


def real_samples(n):
    mode = torch.rand(n, 1) < 0.3
    return torch.where(mode, -2.0 + 0.3 * torch.randn(n, 1), 1.5 + 0.5 * torch.randn(n, 1))


G = nn.Sequential(nn.Linear(4, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
Dnet = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(Dnet.parameters(), lr=2e-3, betas=(0.5, 0.999))
z_fixed = torch.randn(2000, 4)
ref = real_samples(2000).sort(0).values


def w1():
    with torch.no_grad():
        return (G(z_fixed).sort(0).values - ref).abs().mean().item()


first = w1()
for step in range(400):
    real = real_samples(128)
    fake = G(torch.randn(128, 4))
    d_loss = (F.binary_cross_entropy_with_logits(Dnet(real), torch.ones(128, 1))
              + F.binary_cross_entropy_with_logits(Dnet(fake.detach()), torch.zeros(128, 1)))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.binary_cross_entropy_with_logits(Dnet(fake), torch.ones(128, 1))  # non-saturating
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
final = w1()
checksum = sum(p.detach().double().sum().item() for p in G.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
