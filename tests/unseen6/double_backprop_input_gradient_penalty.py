"""Input-gradient regularisation ("double backpropagation", Drucker & LeCun 1992; Ross &
Doshi-Velez 2018): a ReLU MLP classifier is trained on cross-entropy plus lambda times the
squared norm of the gradient of the loss with respect to the inputs. The input gradient comes
from torch.autograd.grad(create_graph=True), so the penalty is differentiated a second time
through the ReLU network (its gradient with respect to the weights is not zero: the input
gradient is a product of weight matrices and 0/1 masks). Task: 10-D data whose class is set by
a nonlinear function of 3 of the dimensions. Metrics: test accuracy against the majority class,
and the mean input-gradient norm compared with an unregularised warm-up of the same network.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)


def make(n):
    x = torch.randn(n, 10)
    score = x[:, 0] ** 2 + torch.sin(2 * x[:, 1]) * 1.5 - x[:, 2] - 1.0
    return x, (score > 0).long()


model = nn.Sequential(nn.Linear(10, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x_tr, y_tr = make(6000)
x_te, y_te = make(2000)
LAMBDA = 0.5


def input_grad_norm(x, y):
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    g, = torch.autograd.grad(loss, x)
    return g.norm(dim=1).mean().item()


def accuracy():
    with torch.no_grad():
        return (model(x_te).argmax(1) == y_te).float().mean().item()


majority = torch.bincount(y_te).max().item() / len(y_te)
print(f"majority {majority:.3f}; start acc {accuracy():.3f}")
for epoch in range(12):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 128):
        b = perm[i:i + 128]
        xb = x_tr[b].clone().requires_grad_(True)
        ce = F.cross_entropy(model(xb), y_tr[b])
        g, = torch.autograd.grad(ce * len(b), xb, create_graph=True)   # per-sample input gradients
        penalty = g.pow(2).sum(1).mean()
        loss = ce + (LAMBDA * penalty if epoch >= 2 else 0.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} ce {ce.item():.4f} penalty {penalty.item():.4f} acc {accuracy():.3f} "
          f"|grad_x| {input_grad_norm(x_te, y_te):.4f}")
print(f"FINAL test_acc {accuracy():.3f} (majority {majority:.3f}) input_grad {input_grad_norm(x_te, y_te):.4f}")
