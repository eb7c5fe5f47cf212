"""Keras-flavoured Model base class with fit / evaluate / predict built on top of nn.Module."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def compile(self, optimizer, loss, metrics=()):
        self.optimizer, self.loss, self.metrics = optimizer, loss, metrics

    def train_on_batch(self, x, y):
        self.train()
        self.optimizer.zero_grad()
        loss = self.loss(self(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, x, y, epochs=1, batch_size=32, validation_data=None):
        history = []
        for epoch in range(epochs):
            perm = torch.randperm(len(x))
            losses = [self.train_on_batch(x[perm[i:i + batch_size]], y[perm[i:i + batch_size]])
                      for i in range(0, len(x), batch_size)]
            entry = {"loss": sum(losses) / len(losses)}
            if validation_data is not None:
                entry.update({f"val_{k}": v for k, v in self.evaluate(*validation_data).items()})
            history.append(entry)
        return history

    def predict(self, x, batch_size=16):
        with torch.no_grad():
            return torch.cat([self(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])

    def evaluate(self, x, y, batch_size=16):
        out = self.predict(x, batch_size)
        return {"loss": self.loss(out, y).item(), "acc": (out.argmax(1) == y).float().mean().item()}


class Classifier(Model):
    def __init__(self, n_in, n_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.4),
                                 nn.Linear(128, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.4),
                                 nn.Linear(128, n_classes))

    def forward(self, x):
        return self.net(x)


torch.manual_seed(19)
X = torch.randn(1600, 20)
y = (X[:, :6] @ torch.randn(6, 4) + 0.3 * torch.randn(1600, 4)).argmax(1)
model = Classifier(20, 4)
model.compile(torch.optim.Adam(model.parameters(), lr=2e-3), F.cross_entropy)
history = model.fit(X[:1200], y[:1200], epochs=10, batch_size=64, validation_data=(X[1200:1400], y[1200:1400]))
for epoch, h in enumerate(history):
    print(f"epoch {epoch} " + " ".join(f"{k} {v:.4f}" for k, v in h.items()))
print(f"FINAL acc {model.evaluate(X[1400:], y[1400:])['acc']:.3f}")
