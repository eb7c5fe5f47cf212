"""NeRF-style toy: an MLP on Fourier-feature positional encodings of 2-D points gives a
density and a colour; pixels are rendered by alpha compositing (cumprod transmittance)
along axis-aligned rays and fitted with MSE to renders of a hidden scene from two views."""
import math

import torch
import torch.nn as nn

torch.manual_seed(1)
S = 32  # samples per ray
ts = torch.linspace(-1, 1, S)
delta = ts[1] - ts[0]


def true_field(p):
    d1 = ((p - torch.tensor([0.3, 0.2])) ** 2).sum(-1)
    d2 = ((p - torch.tensor([-0.4, -0.3])) ** 2).sum(-1)
    sigma = 8.0 * (d1 < 0.09).float() + 6.0 * (d2 < 0.06).float()
    rgb = torch.stack([(d1 < 0.09).float(), (d2 < 0.06).float(), 0.3 + 0.5 * torch.sigmoid(3 * p[..., 0])], -1)
    return sigma, rgb


def rays(n_per_view=64):
    u = torch.linspace(-1, 1, n_per_view)
    # view A: rays along +x at height u; view B: rays along +y at offset u
    pa = torch.stack([ts.expand(n_per_view, S), u[:, None].expand(n_per_view, S)], -1)
    pb = torch.stack([u[:, None].expand(n_per_view, S), ts.expand(n_per_view, S)], -1)
    return torch.cat([pa, pb])  # [R, S, 2]


def render(sigma, rgb):
    alpha = 1 - torch.exp(-sigma * delta)
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1 - alpha[:, :-1] + 1e-10], 1), 1)
    w = alpha * trans
    return (w[..., None] * rgb).sum(1) + (1 - w.sum(1, keepdim=True)) * 1.0  # white background


def encode(p, n_freq=6):
    out = [p]
    for k in range(n_freq):
        out += [torch.sin((2 ** k) * math.pi * p), torch.cos((2 ** k) * math.pi * p)]
    return torch.cat(out, -1)


class TinyNeRF(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 + 24, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 4))

    def forward(self, p):
        out = self.mlp(encode(p))
        return nn.functional.softplus(out[..., 0]), torch.sigmoid(out[..., 1:])


pts = rays()
with torch.no_grad():
    target = render(*true_field(pts))
model = TinyNeRF()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for step in range(300):
    idx = torch.randint(0, len(pts), (64,))
    pred = render(*model(pts[idx]))
    loss = ((pred - target[idx]) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.4f}")
print(f"end loss {loss.item():.4f}")
with torch.no_grad():
    full = ((render(*model(pts)) - target) ** 2).mean().item()
print(f"FINAL full_render_mse {full:.4f}")
