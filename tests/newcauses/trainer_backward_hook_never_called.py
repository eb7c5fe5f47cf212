"""A small Trainer class with overridable hooks (backward, optimizer_step, ...), used to train a
digit-like classifier on synthetic blobs."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, lr=1e-3, epochs=10, batch_size=64):
        self.model, self.epochs, self.batch_size = model, epochs, batch_size
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        self.history = []

    def compute_loss(self, batch):
        x, y = batch
        return F.cross_entropy(self.model(x), y)

    def backward(self, loss):
        loss.backward()

    def optimizer_step(self):
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def training_step(self, batch):
        loss = self.compute_loss(batch)
        self.optimizer_step()
        return loss.detach()

    def fit(self, x, y):
        for epoch in range(self.epochs):
            perm = torch.randperm(len(x))
            losses = [self.training_step((x[perm[i:i + self.batch_size]], y[perm[i:i + self.batch_size]]))
                      for i in range(0, len(x), self.batch_size)]
            self.history.append(torch.stack(losses).mean().item())
            print(f"epoch {epoch} loss {self.history[-1]:.4f}")

    @torch.no_grad()
    def accuracy(self, x, y):
        self.model.eval()
        return (self.model(x).argmax(1) == y).float().mean().item()


torch.manual_seed(10)
centers = 3 * torch.randn(5, 20)
y_all = torch.randint(0, 5, (1500,))
x_all = centers[y_all] + 2.0 * torch.randn(1500, 20)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 5))
trainer = Trainer(model, lr=3e-3, epochs=10)
trainer.fit(x_all[:1200], y_all[:1200])
print(f"FINAL acc {trainer.accuracy(x_all[1200:], y_all[1200:]):.3f}")
