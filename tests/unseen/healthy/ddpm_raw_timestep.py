# A tiny DDPM on 2-D data: the denoiser gets the noisy sample concatenated with the diffusion
# step as a raw integer feature in 0..T (no embedding, as in many minimal tutorials) and is
# trained to predict the added noise. Measured: the noise-prediction MSE on a fixed set.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(15)
T = 50
betas = torch.linspace(1e-4, 0.2, T)
alphas_bar = torch.cumprod(1 - betas, 0)


def sample_data(n):
    k = torch.randint(0, 8, (n,))
    ang = k * (2 * torch.pi / 8)
    return torch.stack([ang.cos(), ang.sin()], 1) * 1.5 + 0.08 * torch.randn(n, 2)


class Denoiser(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                 nn.SiLU(), nn.Linear(hidden, 2))

    def forward(self, x_t, t):
        return self.net(torch.cat([x_t, t.float().unsqueeze(1)], dim=1))


def noisy(x0, t, eps):
    ab = alphas_bar[t].unsqueeze(1)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


model = Denoiser()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x_fix, t_fix, e_fix = sample_data(512), torch.randint(0, T, (512,)), torch.randn(512, 2)


def eval_loss():
    with torch.no_grad():
        return F.mse_loss(model(noisy(x_fix, t_fix, e_fix), t_fix), e_fix).item()


first = eval_loss()
for step in range(250):
    x0 = sample_data(128)
    t = torch.randint(0, T, (128,))
    eps = torch.randn_like(x0)
    loss = F.mse_loss(model(noisy(x0, t, eps), t), eps)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = eval_loss()

# ancestral sampling, just to use the trained model
with torch.no_grad():
    x = torch.randn(256, 2)
    for t in reversed(range(T)):
        tt = torch.full((256,), t)
        eps_hat = model(x, tt)
        a, ab = 1 - betas[t], alphas_bar[t]
        x = (x - (1 - a) / (1 - ab).sqrt() * eps_hat) / a.sqrt()
        if t > 0:
            x = x + betas[t].sqrt() * torch.randn_like(x)
    print("sample radius", x.norm(dim=1).mean().item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
