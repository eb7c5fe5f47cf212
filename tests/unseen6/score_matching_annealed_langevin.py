"""Noise-conditional score network (NCSN, Song & Ermon 2019) on a 2-D ring of eight Gaussians,
trained by denoising score matching over ten noise levels: for x~ = x + sigma * eps the
network's score s(x~, sigma) is regressed onto -eps / sigma, weighted by sigma^2, which is
the same as regressing sigma * s onto -eps. Samples are then drawn by annealed Langevin
dynamics (under no_grad, in eval mode). Note that the loss cannot approach zero: at large
noise the best score only explains part of eps. Metrics: the DSM loss on held-out data
against the zero-score predictor, and the mean distance of Langevin samples to the nearest
mode against that of the N(0, 4 I) starting noise.
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(2)
MODES = torch.stack([torch.tensor([math.cos(a), math.sin(a)]) * 2.0
                     for a in torch.arange(8) * (2 * math.pi / 8)])
SIGMAS = torch.exp(torch.linspace(math.log(2.0), math.log(0.05), 10))


def sample_data(n):
    return MODES[torch.randint(0, 8, (n,))] + 0.08 * torch.randn(n, 2)


class ScoreNet(nn.Module):
    def __init__(self, h=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, h), nn.Softplus(), nn.Linear(h, h), nn.Softplus(),
                                 nn.Linear(h, h), nn.Softplus(), nn.Linear(h, 2))

    def forward(self, x, sigma):
        # output sigma * score, so every noise level has an O(1) target (-eps)
        out = self.net(torch.cat([x, sigma.log()], dim=1))
        return out / sigma


def dsm_loss(model, x):
    idx = torch.randint(0, len(SIGMAS), (x.shape[0],))
    sigma = SIGMAS[idx].unsqueeze(1)
    eps = torch.randn_like(x)
    score = model(x + sigma * eps, sigma)
    return ((sigma * score + eps) ** 2).sum(dim=1).mean()


@torch.no_grad()
def langevin(model, n=1000, steps_per_level=30, eps=2e-4):
    x = 2.0 * torch.randn(n, 2)
    for s in SIGMAS:
        alpha = eps * (s / SIGMAS[-1]) ** 2
        sig = torch.full((n, 1), s.item())
        for _ in range(steps_per_level):
            x = x + 0.5 * alpha * model(x, sig) + alpha.sqrt() * torch.randn_like(x)
    return x


def mode_distance(x):
    return torch.cdist(x, MODES).min(dim=1).values.mean().item()


model = ScoreNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x_val = sample_data(4000)


def val_loss():
    state = torch.random.get_rng_state()
    torch.manual_seed(7)
    with torch.no_grad():
        out = dsm_loss(model, x_val).item()
    torch.random.set_rng_state(state)
    return out


print(f"zero-score DSM loss 2.000 (E|eps|^2), start val {val_loss():.4f}")
print(f"start mode distance of noise {mode_distance(2.0 * torch.randn(1000, 2)):.4f}")
for step in range(1, 2001):
    loss = dsm_loss(model, sample_data(256))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 250 == 0:
        print(f"step {step} train {loss.item():.4f} val {val_loss():.4f}")
model.eval()
samples = langevin(model)
print(f"langevin samples: mean distance to nearest mode {mode_distance(samples):.4f}")
print(f"FINAL val_dsm {val_loss():.4f} (zero score 2.0) sample_mode_dist {mode_distance(samples):.4f}")
