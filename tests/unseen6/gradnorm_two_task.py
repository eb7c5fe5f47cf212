"""Multi-task learning with GradNorm (Chen et al. 2018): a shared trunk feeds a regression head
(a smooth function of the inputs, target scale about 3) and a 4-class classification head.
The per-task loss weights are nn.Parameters in their own optimizer. Each step computes, with
torch.autograd.grad(create_graph=True), the norm of each weighted task gradient with respect
to the last shared layer's weight; the GradNorm objective pulls every norm towards the mean
norm times (relative inverse training rate)^alpha. Its gradient is taken only with respect to
the task weights (autograd.grad) and written into their .grad; the model itself is stepped on
the weighted sum of the task losses; the weights are renormalised to sum to 2 after each step.
Metrics: test R^2 of the regression head and test accuracy of the classifier, against
constant predictions.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(10)


def make(n):
    x = torch.randn(n, 8)
    y_reg = 3.0 * torch.sin(x[:, 0]) + 2.0 * x[:, 1] * x[:, 2] + x[:, 3]
    y_cls = ((x[:, 4] > 0).long() * 2 + (x[:, 5] + 0.5 * x[:, 6] ** 2 > 0.5).long())
    return x, y_reg.unsqueeze(1), y_cls


class MultiTask(nn.Module):
    def __init__(self, h=64):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(8, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.reg = nn.Sequential(nn.Linear(h, 32), nn.ReLU(), nn.Linear(32, 1))
        self.cls = nn.Sequential(nn.Linear(h, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, x):
        h = self.trunk(x)
        return self.reg(h), self.cls(h)


x_tr, yr_tr, yc_tr = make(6000)
x_te, yr_te, yc_te = make(2000)
model = MultiTask()
task_w = nn.Parameter(torch.ones(2))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
opt_w = torch.optim.Adam([task_w], lr=1e-2)
shared = model.trunk[2].weight
alpha = 1.5
initial = None


@torch.no_grad()
def evaluate():
    pr, pc = model(x_te)
    r2 = 1 - F.mse_loss(pr, yr_te) / yr_te.var()
    return r2.item(), (pc.argmax(1) == yc_te).float().mean().item()


maj = torch.bincount(yc_tr).max().item() / len(yc_tr)
print(f"baselines: R^2 0.0, majority acc {maj:.3f}; start R^2 {evaluate()[0]:.3f} acc {evaluate()[1]:.3f}")
for epoch in range(10):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 128):
        b = perm[i:i + 128]
        pr, pc = model(x_tr[b])
        losses = torch.stack([F.mse_loss(pr, yr_tr[b]), F.cross_entropy(pc, yc_tr[b])])
        if initial is None:
            initial = losses.detach()
        weighted = task_w * losses
        norms = torch.stack([torch.autograd.grad(weighted[k], shared, retain_graph=True,
                                                 create_graph=True)[0].norm() for k in range(2)])
        ratio = losses.detach() / initial
        target = (norms.mean() * (ratio / ratio.mean()) ** alpha).detach()
        gn_loss = (norms - target).abs().sum()

        opt.zero_grad()
        opt_w.zero_grad()
        weighted.sum().backward(retain_graph=True)
        task_w.grad = torch.autograd.grad(gn_loss, task_w)[0]
        opt.step()
        opt_w.step()
        with torch.no_grad():
            task_w.clamp_(min=1e-3)
            task_w.mul_(2.0 / task_w.sum())
    r2, acc = evaluate()
    print(f"epoch {epoch} losses {losses[0].item():.3f}/{losses[1].item():.3f} "
          f"weights {task_w[0].item():.2f}/{task_w[1].item():.2f} R^2 {r2:.3f} acc {acc:.3f}")
r2, acc = evaluate()
print(f"FINAL test_r2 {r2:.3f} test_acc {acc:.3f} (majority {maj:.3f})")
