"""A small Trainer with callbacks; the training step never clears the gradients."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Callback:
    def on_epoch_end(self, trainer, epoch):
        pass


class PrintLoss(Callback):
    def on_epoch_end(self, trainer, epoch):
        trainer.history.append(trainer.last_loss)


class Trainer:
    def __init__(self, model, opt, callbacks=()):
        self.model, self.opt, self.callbacks = model, opt, list(callbacks)
        self.history, self.last_loss = [], None

    def step(self, x, y):
        loss = F.mse_loss(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def fit(self, X, Y, epochs, bs=32):
        for epoch in range(epochs):
            for i in range(0, len(X), bs):
                self.last_loss = self.step(X[i:i + bs], Y[i:i + bs])
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch)


torch.manual_seed(7)
X = torch.randn(512, 6)
Y = torch.sin(X[:, :1]) + 0.5 * X[:, 1:2]
trainer = Trainer(nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 1)),
                  None, [PrintLoss()])
trainer.opt = torch.optim.SGD(trainer.model.parameters(), lr=0.01)
trainer.fit(X, Y, epochs=8)
with torch.no_grad():
    mse = F.mse_loss(trainer.model(X), Y).item()
print(f"FINAL mse {mse:.4f}")
