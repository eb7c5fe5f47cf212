# Regression of a physical quantity (drag-like formula) with a small Trainer class that
# handles batching, the optimizer, an LR scheduler and evaluation.
import math

import torch
import torch.nn as nn

torch.manual_seed(6)


def simulate(n):
    v = torch.rand(n, 1) * 3 + 0.5
    area = torch.rand(n, 1) * 2 + 0.1
    rho = torch.rand(n, 1) * 0.5 + 1.0
    cd = torch.rand(n, 1) * 0.5 + 0.3
    force = 0.5 * rho * v ** 2 * cd * area
    x = torch.cat([v, area, rho, cd], dim=1)
    return (x - x.mean(0)) / x.std(0), torch.log(force)


class Trainer:
    def __init__(self, model, lr=3e-3, batch_size=64, epochs=10):
        self.model = model
        self.batch_size = batch_size
        self.epochs = epochs
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs)
        self.loss_fn = nn.SmoothL1Loss()

    def _batches(self, x, y):
        n = len(x)
        perm_x = torch.randperm(n)
        perm_y = torch.randperm(n)
        for i in range(0, n, self.batch_size):
            yield x[perm_x[i:i + self.batch_size]], y[perm_y[i:i + self.batch_size]]

    def fit(self, x, y, x_val, y_val):
        for epoch in range(self.epochs):
            self.model.train()
            for xb, yb in self._batches(x, y):
                self.opt.zero_grad()
                loss = self.loss_fn(self.model(xb), yb)
                loss.backward()
                self.opt.step()
            self.sched.step()
            print(f"epoch {epoch} loss={loss.item():.4f} val_mse={self.evaluate(x_val, y_val):.4f}")

    @torch.no_grad()
    def evaluate(self, x, y):
        self.model.eval()
        return nn.functional.mse_loss(self.model(x), y).item()


x, y = simulate(1500)
x_tr, y_tr, x_va, y_va = x[:1200], y[:1200], x[1200:], y[1200:]
net = nn.Sequential(nn.Linear(4, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))
trainer = Trainer(net)
trainer.fit(x_tr, y_tr, x_va, y_va)
mse = trainer.evaluate(x_va, y_va)
print(f"final val_mse={mse:.4f} val_r2={1 - mse / y_va.var().item():.3f}")
