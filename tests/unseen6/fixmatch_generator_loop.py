"""Semi-supervised classification with confidence-thresholded pseudo-labels (FixMatch-style,
Sohn et al. 2020), with the training loop written as a Python generator: train() yields a
dict of statistics after every step and the driver may .send() back a new confidence
threshold, which the loop adopts from then on (the driver lowers it from 0.95 to 0.9 after
the warm-up). 60 labelled and 6000 unlabelled points of four interleaved 2-D crescents; for
the unlabelled batch the pseudo-label is the argmax of the model's prediction on a weakly
jittered copy (computed under no_grad) and the loss is taken on a strongly jittered copy,
masked to confident points with reduction='none'. Metric: test accuracy of a supervised-only
model trained on the 60 labels with the same budget, against the semi-supervised model.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(15)


def crescents(n):
    y = torch.randint(0, 4, (n,))
    ang = torch.rand(n) * math.pi
    centre = torch.stack([torch.tensor([0.0, 0.0]), torch.tensor([1.0, 0.5]),
                          torch.tensor([2.0, 0.0]), torch.tensor([3.0, 0.5])])[y]
    flip = torch.where(y % 2 == 0, 1.0, -1.0)
    x = centre + torch.stack([torch.cos(ang), flip * torch.sin(ang)], 1)
    return x + 0.08 * torch.randn(n, 2), y


def make_model():
    return nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 4))


x_lab, y_lab = crescents(60)
x_unl, _ = crescents(6000)
x_te, y_te = crescents(2000)


def weak(x):
    return x + 0.03 * torch.randn_like(x)


def strong(x):
    return x + 0.15 * torch.randn_like(x)


def train(model, steps, semi, threshold=0.95, lam=1.0):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(steps):
        lab = torch.randint(0, len(x_lab), (32,))
        loss_sup = F.cross_entropy(model(weak(x_lab[lab])), y_lab[lab])
        loss_unl, frac = torch.zeros(()), 0.0
        if semi:
            xu = x_unl[torch.randint(0, len(x_unl), (224,))]
            with torch.no_grad():
                probs = model(weak(xu)).softmax(dim=1)
                conf, pseudo = probs.max(dim=1)
                mask = (conf >= threshold).float()
            per_sample = F.cross_entropy(model(strong(xu)), pseudo, reduction="none")
            loss_unl = (per_sample * mask).mean()
            frac = mask.mean().item()
        loss = loss_sup + lam * loss_unl
        opt.zero_grad()
        loss.backward()
        opt.step()
        new = yield {"step": step, "sup": loss_sup.item(), "unl": loss_unl.item(), "mask": frac}
        if new is not None:
            threshold = new


def accuracy(model):
    with torch.no_grad():
        return (model(x_te).argmax(1) == y_te).float().mean().item()


def drive(model, semi, steps=1500):
    loop = train(model, steps, semi)
    stats = next(loop)
    while True:
        try:
            cmd = 0.9 if semi and stats["step"] == 300 else None
            stats = loop.send(cmd)
        except StopIteration:
            break
        if stats["step"] % 300 == 299:
            print(f"  step {stats['step'] + 1} sup {stats['sup']:.4f} unl {stats['unl']:.4f} "
                  f"confident {stats['mask']:.2f} acc {accuracy(model):.3f}")


print("supervised only (60 labels):")
torch.manual_seed(16)
sup_model = make_model()
drive(sup_model, semi=False)
print("semi-supervised:")
torch.manual_seed(16)
semi_model = make_model()
print(f"start acc {accuracy(semi_model):.3f}")
drive(semi_model, semi=True)
print(f"FINAL test_acc {accuracy(semi_model):.3f} (supervised-only {accuracy(sup_model):.3f}, chance 0.25)")
