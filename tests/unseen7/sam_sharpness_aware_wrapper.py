"""Sharpness-Aware Minimization written as a torch.optim.Optimizer subclass wrapping SGD, in
the style of the widely used davda54/sam implementation:

    loss_fn(model(x)).backward(); opt.first_step(zero_grad=True)    # climb to w + e(w)
    loss_fn(model(x)).backward(); opt.second_step(zero_grad=True)   # restore w, SGD step

first_step saves w, moves the weights along rho * g / ||g|| and clears the gradients;
second_step puts w back and lets the base optimizer apply the gradient taken at the
perturbed point. Task: 5-class classification of noisy 2-D spirals (15% label noise) with
a BatchNorm MLP; a cosine schedule drives the base lr.
Metric: clean test accuracy, against the majority class.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SAM(torch.optim.Optimizer):
    def __init__(self, params, base_optimizer, rho=0.05, **kwargs):
        defaults = dict(rho=rho, **kwargs)
        super().__init__(params, defaults)
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups

    @torch.no_grad()
    def first_step(self, zero_grad=False):
        grad_norm = self._grad_norm()
        for group in self.param_groups:
            scale = group["rho"] / (grad_norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.state[p]["old_p"] = p.data.clone()
                p.add_(p.grad * scale)
        if zero_grad:
            self.zero_grad()

    @torch.no_grad()
    def second_step(self, zero_grad=False):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.data = self.state[p]["old_p"]
        self.base_optimizer.step()
        if zero_grad:
            self.zero_grad()

    def step(self, closure=None):
        raise NotImplementedError("SAM needs two passes: call first_step and second_step")

    def _grad_norm(self):
        norms = [p.grad.norm(p=2) for g in self.param_groups for p in g["params"] if p.grad is not None]
        return torch.norm(torch.stack(norms), p=2)


def spirals(n, k=5, noise=0.15, flip=0.0):
    y = torch.randint(0, k, (n,))
    r = torch.rand(n) * 2.5 + 0.3
    theta = 2 * math.pi * y / k + 1.6 * r + noise * torch.randn(n)
    x = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1)
    flipped = torch.rand(n) < flip
    y_noisy = torch.where(flipped, torch.randint(0, k, (n,)), y)
    return x, y_noisy


torch.manual_seed(4)
x_tr, y_tr = spirals(3000, flip=0.15)
x_te, y_te = spirals(2000)
model = nn.Sequential(nn.Linear(2, 128), nn.BatchNorm1d(128), nn.ReLU(),
                      nn.Linear(128, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 5))
opt = SAM(model.parameters(), torch.optim.SGD, rho=0.05, lr=0.1, momentum=0.9, weight_decay=5e-4)
epochs, bs = 8, 128
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt.base_optimizer, T_max=epochs * math.ceil(3000 / bs))


@torch.no_grad()
def test_acc():
    model.eval()
    acc = (model(x_te).argmax(1) == y_te).float().mean().item()
    model.train()
    return acc


print(f"majority {torch.bincount(y_te).max().item() / len(y_te):.3f}; start test acc {test_acc():.3f}")
for epoch in range(epochs):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), bs):
        xb, yb = x_tr[perm[i:i + bs]], y_tr[perm[i:i + bs]]
        F.cross_entropy(model(xb), yb).backward()
        opt.first_step(zero_grad=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.second_step(zero_grad=True)
        sched.step()
    print(f"epoch {epoch} loss {loss.item():.3f} test acc {test_acc():.3f}")
print(f"FINAL clean test acc {test_acc():.3f} (training labels 15% flipped; majority "
      f"{torch.bincount(y_te).max().item() / len(y_te):.3f})")
