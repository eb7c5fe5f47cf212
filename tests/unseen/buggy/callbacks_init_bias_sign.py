"""Trainer with Keras-like callbacks (on_train_begin / on_epoch_end); one callback initialises the weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Callback:
    def on_train_begin(self, trainer): pass
    def on_epoch_end(self, trainer, epoch, logs): pass


class TruncatedNormalInit(Callback):
    """Old-school init from the TF tutorials: small weights, a small constant bias for the ReLUs."""

    def __init__(self, std=0.05, bias=0.1):
        self.std, self.bias = std, bias

    def on_train_begin(self, trainer):
        for m in trainer.model.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=self.std, a=-2 * self.std, b=2 * self.std)
                nn.init.constant_(m.bias, self.bias)


class History(Callback):
    def __init__(self):
        self.rows = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.rows.append(logs)
        print(f"epoch {epoch} " + " ".join(f"{k} {v:.4f}" for k, v in logs.items()))


class Trainer:
    def __init__(self, model, optimizer, callbacks=()):
        self.model, self.optimizer, self.callbacks = model, optimizer, list(callbacks)

    def fit(self, X, y, epochs, batch_size=32):
        for cb in self.callbacks:
            cb.on_train_begin(self)
        for epoch in range(epochs):
            perm = torch.randperm(len(X))
            total = 0.0
            for i in range(0, len(X), batch_size):
                idx = perm[i:i + batch_size]
                loss = F.mse_loss(self.model(X[idx]), y[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                total += loss.item() * len(idx)
            for cb in self.callbacks:
                cb.on_epoch_end(self, epoch, {"loss": total / len(X)})


torch.manual_seed(14)
X = torch.randn(1200, 10)
y = (torch.sin(X[:, 0]) * 2 + X[:, 1] * X[:, 2] - X[:, 3].abs()).unsqueeze(1)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=2e-3),
                  callbacks=[TruncatedNormalInit(std=0.02, bias=-0.1), History()])
trainer.fit(X[:1000], y[:1000], epochs=12)
with torch.no_grad():
    print(f"FINAL mse {F.mse_loss(model(X[1000:]), y[1000:]).item():.4f}")
