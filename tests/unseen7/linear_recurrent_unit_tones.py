"""Linear Recurrent Unit (Orvieto et al. 2023): a diagonal complex linear recurrence
h_t = lambda * h_{t-1} + gamma * (B x_t), y_t = Re(C h_t) + D x_t, with
lambda = exp(-exp(nu) + i exp(theta)) parameterised so that |lambda| < 1 always, the
eigenvalue radii initialised in [0.9, 0.999] (ring initialisation) and the normalisation
gamma = sqrt(1 - |lambda|^2). Complex parameters are kept as real tensors; the recurrence
is evaluated in parallel as a causal convolution with the kernel lambda^k, done with
zero-padded FFTs along time.

Task: a 48-step recording holds a tone at one of 6 frequencies, with random phase and
amplitude, buried in noise of equal power plus a random drift; the class must be read out
at the last step, so the recurrence has to integrate over the whole sequence. Two LRU
blocks with a GELU MLP and residuals.
Metric: test accuracy of the tone class (chance 1/6).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(29)
T, LEVELS = 48, 6


class LRU(nn.Module):
    def __init__(self, d_model, d_state, r_min=0.9, r_max=0.999):
        super().__init__()
        u1, u2 = torch.rand(d_state), torch.rand(d_state)
        nu = -0.5 * torch.log(u1 * (r_max ** 2 - r_min ** 2) + r_min ** 2)
        theta = u2 * 2 * math.pi / 10
        self.nu_log = nn.Parameter(torch.log(nu))
        self.theta_log = nn.Parameter(torch.log(theta))
        lam_abs = torch.exp(-nu)
        self.gamma_log = nn.Parameter(torch.log(torch.sqrt(1 - lam_abs ** 2)))
        self.B_re = nn.Parameter(torch.randn(d_state, d_model) / math.sqrt(2 * d_model))
        self.B_im = nn.Parameter(torch.randn(d_state, d_model) / math.sqrt(2 * d_model))
        self.C_re = nn.Parameter(torch.randn(d_model, d_state) / math.sqrt(d_state))
        self.C_im = nn.Parameter(torch.randn(d_model, d_state) / math.sqrt(d_state))
        self.D = nn.Parameter(torch.randn(d_model))

    def forward(self, x):  # [B, T, d_model]
        log_lam = torch.complex(-torch.exp(self.nu_log), torch.exp(self.theta_log))
        B = torch.complex(self.B_re, self.B_im) * torch.exp(self.gamma_log).unsqueeze(1)
        C = torch.complex(self.C_re, self.C_im)
        bu = torch.complex(x, torch.zeros_like(x)) @ B.t()  # [B, T, d_state]
        L = x.shape[1]
        kernel = torch.exp(log_lam.view(-1, 1) * torch.arange(L))  # lambda^k, [state, L]
        n_fft = 2 * L
        hs = torch.fft.ifft(torch.fft.fft(bu, n=n_fft, dim=1) * torch.fft.fft(kernel.t(), n=n_fft, dim=0),
                            dim=1)[:, :L]
        return (hs @ C.t()).real + self.D * x


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.lru = LRU(d, 16)
        self.mlp = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        return x + self.mlp(self.lru(self.norm(x)))


class Model(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.inp = nn.Linear(1, d)
        self.blocks = nn.Sequential(Block(d), Block(d))
        self.out = nn.Linear(d, LEVELS)

    def forward(self, x):
        return self.out(self.blocks(self.inp(x))[:, -1])


FREQS = torch.tensor([1.5, 2.5, 3.5, 5.0, 6.5, 8.0]) / T


def make(n):
    level = torch.randint(0, LEVELS, (n,))
    t = torch.arange(T).float()
    phase = torch.rand(n, 1) * 2 * math.pi
    amp = 0.7 + 0.6 * torch.rand(n, 1)
    tone = amp * torch.sin(2 * math.pi * FREQS[level].unsqueeze(1) * t + phase)
    drift = torch.randn(n, 1) * 0.5 + torch.randn(n, 1) * t / T
    x = tone + drift + torch.randn(n, T) * 0.7
    return x.unsqueeze(-1), level


x_te, y_te = make(300)
model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.01)


@torch.no_grad()
def accuracy():
    return (model(x_te).argmax(1) == y_te).float().mean().item()


print(f"chance {1 / LEVELS:.3f}; start accuracy {accuracy():.3f}")
for step in range(160):
    xb, yb = make(48)
    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 80 == 0:
        print(f"step {step:3d} loss {loss.item():.3f} test acc {accuracy():.3f}")
print(f"FINAL tone-class accuracy {accuracy():.3f} over {T}-step sequences (chance {1 / LEVELS:.3f})")
