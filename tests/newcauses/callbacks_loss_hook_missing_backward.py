"""Training loop driven by callbacks: each callback gets on_loss(loss) and on_step(model)
around the optimizer step. Task: is the point inside the circle?"""
import torch
import torch.nn as nn


class LossLogger:
    def __init__(self):
        self.values = []

    def on_loss(self, loss):
        self.values.append(loss.item())

    def on_step(self, model):
        pass


class GradClipper:
    def __init__(self, max_norm):
        self.max_norm = max_norm

    def on_loss(self, loss):
        pass

    def on_step(self, model):
        nn.utils.clip_grad_norm_(model.parameters(), self.max_norm)


class Backprop:
    def on_loss(self, loss):
        loss.backward()

    def on_step(self, model):
        pass


def train(model, opt, data, callbacks, epochs):
    x, y = data
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[idx]).squeeze(1), y[idx])
            for cb in callbacks:
                cb.on_loss(loss)
            for cb in callbacks:
                cb.on_step(model)
            opt.step()


torch.manual_seed(12)
x = torch.randn(1000, 2) * 1.5
y = ((x ** 2).sum(1) < 2.0).float()  # inside a circle
model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
logger = LossLogger()
train(model, opt, (x[:800], y[:800]), [logger, GradClipper(5.0)], epochs=15)
print(f"last train loss {logger.values[-1]:.4f}")
with torch.no_grad():
    acc = ((model(x[800:]).squeeze(1) > 0).float() == y[800:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
