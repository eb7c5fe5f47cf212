"""Diffusion-based deep generative model (DDGM, the fully-connected educational version of a
denoising diffusion model) on 8x8 seven-segment digit images with integer intensities 0..16,
scaled to [-1, 1]. The forward process adds Gaussian noise for T = 5 steps with a fixed beta;
one MLP per reverse step predicts the mean and log-variance of p(z_{t-1} | z_t), and a decoder
MLP maps z_1 back to the image. The loss is the negative ELBO (reconstruction + the per-step
log q - log p terms + the prior term), optimised with Adamax as in the original notebook.
Metric: validation negative ELBO per image.

Thread: https://github.com/jmtomczak/intro_dgm/issues/6
"In the ddgm example shouldn't the line `self.p_dnns = p_dnns` be
`self.p_dnns = nn.ModuleList(p_dnns)`? My understanding is that by not placing them in a
ModuleList the p_dnns networks are not added in the learned parameters and are left
unoptimized."
FIXED twin of ddgm_reverse_nets_plain_list.py: the reverse-step networks are registered with
nn.ModuleList, so the optimizer built from model.parameters() updates them. Everything else
is identical.
"""
import math

import torch
import torch.nn as nn

torch.manual_seed(21)
D, M, T, BETA = 64, 128, 5, 0.9
LOG2PI = math.log(2 * math.pi)
SEGMENTS = {  # seven-segment layout on an 8x8 grid: (rows, cols)
    "a": (slice(0, 1), slice(2, 6)), "b": (slice(1, 4), slice(6, 7)), "c": (slice(4, 7), slice(6, 7)),
    "d": (slice(7, 8), slice(2, 6)), "e": (slice(4, 7), slice(1, 2)), "f": (slice(1, 4), slice(1, 2)),
    "g": (slice(3, 5), slice(2, 6))}
DIGITS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc", "abcdefg", "abfgcd"]


def make(n):
    y = torch.randint(0, 10, (n,))
    imgs = torch.zeros(n, 8, 8)
    for i in range(n):
        for s in DIGITS[y[i]]:
            r, c = SEGMENTS[s]
            imgs[i, r, c] = 1.0
    ink = torch.randint(10, 17, (n, 1, 1)).float()
    x = (imgs * ink + torch.randint(0, 4, (n, 8, 8)).float()).clamp(0, 16)
    return 2.0 * (x.reshape(n, D) / 17.0) - 1.0


def log_normal(x, mu, log_var):
    return (-0.5 * LOG2PI - 0.5 * log_var - 0.5 * torch.exp(-log_var) * (x - mu) ** 2).sum(-1)


def mlp(out):
    return nn.Sequential(nn.Linear(D, M), nn.LeakyReLU(), nn.Linear(M, M), nn.LeakyReLU(),
                         nn.Linear(M, out))


class DDGM(nn.Module):
    def __init__(self, p_dnns, decoder_net):
        super().__init__()
        self.p_dnns = nn.ModuleList(p_dnns)      # one network per reverse step
        self.decoder_net = decoder_net
        self.log_beta = math.log(BETA)

    def forward(self, x):
        zs = [math.sqrt(1 - BETA) * x + math.sqrt(BETA) * torch.randn_like(x)]
        for _ in range(1, T):
            zs.append(math.sqrt(1 - BETA) * zs[-1] + math.sqrt(BETA) * torch.randn_like(x))
        # reconstruction log p(x | z_1) with a unit-variance Gaussian decoder
        rec = log_normal(x, self.decoder_net(zs[0]), torch.zeros_like(x))
        # prior term: log q(z_T | z_{T-1}) - log N(z_T; 0, I)
        kl = log_normal(zs[-1], math.sqrt(1 - BETA) * zs[-2], torch.full_like(x, self.log_beta)) \
            - log_normal(zs[-1], torch.zeros_like(x), torch.zeros_like(x))
        # reverse steps: log q(z_t | z_{t-1}) - log p(z_t | z_{t+1})
        for t in range(T - 1):
            prev = x if t == 0 else zs[t - 1]
            mu, log_var = torch.chunk(self.p_dnns[t](zs[t + 1]), 2, dim=1)
            kl = kl + log_normal(zs[t], math.sqrt(1 - BETA) * prev, torch.full_like(x, self.log_beta)) \
                - log_normal(zs[t], torch.tanh(mu), log_var)
        return -(rec - kl).mean()


p_dnns = [mlp(2 * D) for _ in range(T - 1)]
decoder_net = nn.Sequential(mlp(D), nn.Tanh())
model = DDGM(p_dnns, decoder_net)
opt = torch.optim.Adamax(model.parameters(), lr=1e-3)
x_tr, x_va = make(1500), make(500)


def val_nelbo():
    model.eval()
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(99)                    # the same noise draws at every evaluation
        out = model(x_va).item()
    model.train()
    return out


print(f"start val -ELBO {val_nelbo():.2f}")
torch.manual_seed(22)
for epoch in range(25):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 64):
        loss = model(x_tr[perm[i:i + 64]])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 5 == 4:
        print(f"epoch {epoch} train {loss.item():.2f} val -ELBO {val_nelbo():.2f}")
print(f"FINAL val_nelbo {val_nelbo():.2f}")
