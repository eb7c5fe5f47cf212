"""1-D conditional flow matching to a bimodal target written as a small functional
training loop with a dataset of scalars. The velocity network returns shape [B, 1] while
the target velocity x1 - x0 is built from 1-D tensors of shape [B], so the squared error
broadcasts to [B, B] and every prediction is pulled towards the batch-mean velocity."""
import torch
import torch.nn as nn

torch.manual_seed(24)


def sample_data(n):
    comp = torch.randint(0, 2, (n,))
    return torch.where(comp == 0, torch.tensor(-2.0), torch.tensor(2.0)) + 0.3 * torch.randn(n)


field = nn.Sequential(nn.Linear(2, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(field.parameters(), lr=2e-3)


def velocity(x, t):
    return field(torch.stack([x, t], 1))  # [B, 1]


def fm_loss(x1):
    x0 = torch.randn_like(x1)
    t = torch.rand_like(x1)
    xt = (1 - t) * x0 + t * x1
    return ((velocity(xt, t) - (x1 - x0)) ** 2).mean()


@torch.no_grad()
def bimodality(n=2000):
    x = torch.randn(n)
    for k in range(40):
        x = x + velocity(x, torch.full((n,), k / 40)).squeeze(1) / 40
    return (x.abs() - 2).abs().mean().item()  # mean distance to the nearest mode


print(f"start distance to nearest mode {bimodality():.3f}")
for step in range(1200):
    loss = fm_loss(sample_data(256))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
d = bimodality()
print(f"end distance to nearest mode {d:.3f}")
print(f"FINAL mode_distance {d:.3f}")
