"""Madry-style adversarial training with an L-infinity PGD inner loop.

For every batch, the attack runs in eval mode (BatchNorm uses its running statistics while
the perturbation is optimised): 4 signed-gradient steps of size 0.06 on the *inputs*
(torch.autograd.grad with respect to x_adv, random start, projection onto the eps = 0.15
ball). The model is then switched back to train mode and updated on the adversarial batch
only. Data: 20-feature, 3-class Gaussian clusters.
Metrics: clean accuracy and accuracy under a stronger PGD-10 attack on the test set,
before and after training (chance 1/3).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(41)
EPS, ALPHA, STEPS = 0.15, 0.06, 4
means = torch.randn(3, 20) * 0.35


def make(n):
    y = torch.randint(0, 3, (n,))
    return means[y] + 0.5 * torch.randn(n, 20), y


def pgd(model, x, y, eps=EPS, alpha=ALPHA, steps=STEPS):
    was_training = model.training
    model.eval()
    x_adv = x + torch.empty_like(x).uniform_(-eps, eps)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        (g,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + alpha * g.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps)
    model.train(was_training)
    return x_adv.detach()


x_tr, y_tr = make(3000)
x_te, y_te = make(1000)
model = nn.Sequential(nn.Linear(20, 64), nn.BatchNorm1d(64), nn.ReLU(),
                      nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)


def evaluate():
    model.eval()
    with torch.no_grad():
        clean = (model(x_te).argmax(1) == y_te).float().mean().item()
    x_adv = pgd(model, x_te, y_te, steps=10, alpha=0.03)
    with torch.no_grad():
        robust = (model(x_adv).argmax(1) == y_te).float().mean().item()
    model.train()
    return clean, robust


c, r = evaluate()
print(f"chance 0.333; start clean acc {c:.3f} robust acc {r:.3f}")
model.train()
for epoch in range(7):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 128):
        xb, yb = x_tr[perm[i:i + 128]], y_tr[perm[i:i + 128]]
        x_adv = pgd(model, xb, yb)
        loss = F.cross_entropy(model(x_adv), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    c, r = evaluate()
    print(f"epoch {epoch} adversarial loss {loss.item():.3f} clean {c:.3f} robust {r:.3f}")
print(f"FINAL clean acc {c:.3f} robust (PGD-10, eps {EPS}) acc {r:.3f} (chance 0.333)")
