"""A trainer with before/after hooks; the optimizer hook clears gradients too early."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Loop:
    def __init__(self, model, opt):
        self.model, self.opt = model, opt

    def backward(self, loss):
        loss.backward()

    def optimizer_step(self):
        self.opt.zero_grad()
        self.opt.step()

    def run(self, X, y, epochs):
        for _ in range(epochs):
            for i in range(0, len(X), 64):
                loss = F.cross_entropy(self.model(X[i:i + 64]), y[i:i + 64])
                self.backward(loss)
                self.optimizer_step()


torch.manual_seed(21)
X = torch.randn(896, 10)
y = (X[:, :5] @ torch.randn(5, 3)).argmax(1)
model = nn.Sequential(nn.Linear(10, 48), nn.ReLU(), nn.Linear(48, 3))
Loop(model, torch.optim.Adam(model.parameters(), lr=3e-3)).run(X[:768], y[:768], epochs=8)
with torch.no_grad():
    acc = (model(X[768:]).argmax(1) == y[768:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
