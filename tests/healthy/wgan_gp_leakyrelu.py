"""WGAN-GP on a 2-D Gaussian: the critic uses LeakyReLU, the gradient penalty
differentiates the critic's output w.r.t. interpolated samples (create_graph=True)."""
import torch
from torch import nn, autograd

torch.manual_seed(0)
LAMBDA_GP = 10.0
N_CRITIC = 3


def real_batch(n):
    return torch.randn(n, 2) * 0.5 + torch.tensor([2.0, -1.0])


G = nn.Sequential(nn.Linear(4, 32), nn.LeakyReLU(0.2), nn.Linear(32, 2))
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.9))


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    scores = critic(x_hat)
    grads, = autograd.grad(outputs=scores, inputs=x_hat, grad_outputs=torch.ones_like(scores),
                           create_graph=True, retain_graph=True)
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


def mean_gap():
    with torch.no_grad():
        return (G(torch.randn(512, 4)).mean(0) - torch.tensor([2.0, -1.0])).norm().item()


first = mean_gap()
for it in range(150):
    for _ in range(N_CRITIC):
        real = real_batch(64)
        fake = G(torch.randn(64, 4)).detach()
        d_loss = D(fake).mean() - D(real).mean() + LAMBDA_GP * gradient_penalty(D, real, fake)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
    g_loss = -D(G(torch.randn(64, 4))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()

final = mean_gap()
checksum = sum(p.detach().double().sum().item() for p in [*G.parameters(), *D.parameters()])
print("RESULT", repr(first), repr(final), repr(checksum))
