"""SimCLR-style contrastive learning: two noisy views per sample, NT-Xent loss on the
[2N, 2N] cosine-similarity matrix with the diagonal masked out."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(221)
centers = torch.randn(8, 16) * 2
data = centers[torch.arange(512) % 8] + 0.5 * torch.randn(512, 16)


def augment(x):
    return x * (1 + 0.1 * torch.randn_like(x)) + 0.3 * torch.randn_like(x)


def nt_xent(z1, z2, tau=0.2):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / tau
    n = z1.shape[0]
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


encoder = nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 32))
projector = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 16))
opt = torch.optim.Adam([*encoder.parameters(), *projector.parameters()], lr=3e-3)
hist = []
for epoch in range(6):
    for xb in data[torch.randperm(512)].split(64):
        loss = nt_xent(projector(encoder(augment(xb))), projector(encoder(augment(xb))))
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in encoder.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
