"""Barlow Twins self-supervision on tabular data: two random augmentations (feature
dropout and jitter), a projector ending in BatchNorm without affine, loss = on-diagonal
(1 - c_ii)^2 + lambda * off-diagonal c_ij^2 of the batch cross-correlation matrix; a linear
probe on the frozen embeddings against the hidden labels at the start and the end."""
import torch
import torch.nn as nn

torch.manual_seed(12)
N, D, C = 2048, 30, 4
latent = torch.randint(0, C, (N,))
centers = torch.randn(C, 6) * 0.8
z = centers[latent] + 0.8 * torch.randn(N, 6)
mix = torch.randn(6, D)
X = torch.tanh(z @ mix / 2) + 0.3 * torch.randn(N, D)


def augment(x):
    keep = (torch.rand_like(x) > 0.25).float()
    return x * keep + 0.1 * torch.randn_like(x)


encoder = nn.Sequential(nn.Linear(D, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64))
projector = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 64), nn.BatchNorm1d(64, affine=False))
opt = torch.optim.Adam([*encoder.parameters(), *projector.parameters()], lr=1e-3, weight_decay=1e-5)
LAMBDA = 5e-3


def barlow_loss(z1, z2):
    c = z1.T @ z2 / z1.shape[0]
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = (c - torch.diag(torch.diagonal(c))).pow(2).sum()
    return on + LAMBDA * off


def probe_acc():
    encoder.eval()
    with torch.no_grad():
        h = encoder(X)
    encoder.train()
    h = (h - h.mean(0)) / (h.std(0) + 1e-6)
    clf = nn.Linear(64, C)
    o = torch.optim.LBFGS(clf.parameters(), max_iter=50)
    tr = torch.arange(N) < 1024

    def closure():
        o.zero_grad()
        l = nn.functional.cross_entropy(clf(h[tr]), latent[tr])
        l.backward()
        return l
    o.step(closure)
    with torch.no_grad():
        return (clf(h[~tr]).argmax(1) == latent[~tr]).float().mean().item()


print(f"start probe acc {probe_acc():.3f}")
for epoch in range(10):
    perm = torch.randperm(N)
    for i in range(0, N, 256):
        x = X[perm[i:i + 256]]
        loss = barlow_loss(projector(encoder(augment(x))), projector(encoder(augment(x))))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and i == 0:
            print(f"start loss {loss.item():.2f}")
    print(f"epoch {epoch} loss {loss.item():.2f}")
acc = probe_acc()
print(f"end probe acc {acc:.3f}")
print(f"FINAL probe_acc {acc:.3f}")
