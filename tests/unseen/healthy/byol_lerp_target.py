# BYOL-style self-supervised regression: an online network with a predictor head regresses
# the projections of a slowly moving target network. The target is updated with lerp_ under
# no_grad and is deliberately left in train mode (its BatchNorm uses batch statistics, as in
# the BYOL reference code); its outputs are regression targets only.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def mlp(i, h, o):
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, o))


class Online(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = mlp(16, 64, 32)
        self.projector = mlp(32, 64, 16)
        self.predictor = mlp(16, 64, 16)

    def forward(self, x):
        return self.predictor(self.projector(self.encoder(x)))


online = Online()
target = nn.Sequential(copy.deepcopy(online.encoder), copy.deepcopy(online.projector))
for p in target.parameters():
    p.requires_grad = False

# data: points on 4 clusters in a 16-d space, two augmented views per sample
centers = torch.randn(4, 16) * 2
data = centers[torch.randint(0, 4, (512,))] + 0.3 * torch.randn(512, 16)


def augment(x):
    mask = (torch.rand_like(x) > 0.15).float()
    return x * mask + 0.1 * torch.randn_like(x)


def byol_loss(p, z):
    return (2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1)).mean()


opt = torch.optim.Adam(online.parameters(), lr=2e-3)
tau = 0.99
losses = []
for step in range(120):
    idx = torch.randint(0, 512, (64,))
    v1, v2 = augment(data[idx]), augment(data[idx])
    with torch.no_grad():
        z1, z2 = target(v1), target(v2)
    loss = byol_loss(online(v1), z2) + byol_loss(online(v2), z1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        online_params = list(online.encoder.parameters()) + list(online.projector.parameters())
        for tp, op in zip(target.parameters(), online_params):
            tp.lerp_(op, 1 - tau)
    losses.append(loss.item())

first = sum(losses[:10]) / 10
final = sum(losses[-10:]) / 10
checksum = sum(p.double().sum().item() for p in target.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
