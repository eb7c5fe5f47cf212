# A Trainer class with a DataLoader; the optimizer is never cleared.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    def __init__(self, model, loader, lr=1e-3):
        self.model = model
        self.loader = loader
        self.opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.loss_fn = nn.MSELoss()

    def train_epoch(self):
        total = 0.0
        for xb, yb in self.loader:
            loss = self.loss_fn(self.model(xb), yb)
            loss.backward()
            self.opt.step()
            total += loss.item()
        return total / len(self.loader)


torch.manual_seed(34)
X = torch.randn(800, 7)
y = X[:, :2].sum(1, keepdim=True) - X[:, 4:5]
trainer = Trainer(nn.Sequential(nn.Linear(7, 32), nn.ReLU(), nn.Linear(32, 1)),
                  DataLoader(TensorDataset(X, y), batch_size=40, shuffle=True))
for epoch in range(4):
    print(epoch, trainer.train_epoch())
