"""Continual learning with Elastic Weight Consolidation (Kirkpatrick et al. 2017).

Task A and task B are two 4-class problems on the same 20 inputs (B uses a fixed random
rotation of the input space, as in permuted-MNIST). The network is trained on A, then the
diagonal empirical Fisher is estimated from per-batch squared gradients on A, the weights
are anchored, and training continues on B with the penalty
lambda/2 * sum F_i (theta_i - theta*_i)^2 added to the loss. The trainer is a small class
with an `extra_loss` hook.
Metric: accuracy on both tasks after each phase (chance 0.25); with EWC, task A should stay
well above chance after learning B.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
D, K = 20, 4
centers = torch.randn(K, D) * 1.1
rotation, _ = torch.linalg.qr(torch.randn(D, D))


def task_data(n, rotate):
    y = torch.randint(0, K, (n,))
    x = centers[y] + torch.randn(n, D)
    x = torch.tanh(x) * 2.0
    return (x @ rotation if rotate else x), y


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.extra_loss = None

    def fit(self, x, y, epochs, bs=64):
        self.model.train()
        for _ in range(epochs):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), bs):
                idx = perm[i:i + bs]
                loss = F.cross_entropy(self.model(x[idx]), y[idx])
                if self.extra_loss is not None:
                    loss = loss + self.extra_loss()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
        return loss.item()

    @torch.no_grad()
    def accuracy(self, x, y):
        self.model.eval()
        return (self.model(x).argmax(1) == y).float().mean().item()


def diagonal_fisher(model, x, y, bs=32):
    fisher = {n: torch.zeros_like(p) for n, p in model.named_parameters()}
    model.eval()
    batches = 0
    for i in range(0, len(x), bs):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + bs]), y[i:i + bs]).backward()
        for n, p in model.named_parameters():
            fisher[n] += p.grad.detach() ** 2
        batches += 1
    model.zero_grad()
    return {n: f / batches for n, f in fisher.items()}


model = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 64), nn.ReLU(),
                      nn.Linear(64, K))
trainer = Trainer(model)
xa, ya = task_data(2000, rotate=False)
xb, yb = task_data(2000, rotate=True)
xa_te, ya_te = task_data(1000, rotate=False)
xb_te, yb_te = task_data(1000, rotate=True)
print(f"chance 0.25; start: task A {trainer.accuracy(xa_te, ya_te):.3f} task B {trainer.accuracy(xb_te, yb_te):.3f}")

trainer.fit(xa, ya, epochs=3)
print(f"after A: task A {trainer.accuracy(xa_te, ya_te):.3f} task B {trainer.accuracy(xb_te, yb_te):.3f}")

fisher = diagonal_fisher(model, xa[:640], ya[:640])
anchor = {n: p.detach().clone() for n, p in model.named_parameters()}
ewc_lambda = 50000.0


def ewc_penalty():
    total = 0.0
    for n, p in model.named_parameters():
        total = total + (fisher[n] * (p - anchor[n]) ** 2).sum()
    return 0.5 * ewc_lambda * total


trainer.extra_loss = ewc_penalty
trainer.fit(xb, yb, epochs=3)
acc_a, acc_b = trainer.accuracy(xa_te, ya_te), trainer.accuracy(xb_te, yb_te)
print(f"FINAL after B with EWC: task A {acc_a:.3f} task B {acc_b:.3f} (chance 0.25)")
