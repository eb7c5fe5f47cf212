"""A trainer whose validation callback switches the model to eval and never back."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Validate:
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __call__(self, model, epoch):
        model.eval()
        with torch.no_grad():
            acc = (model(self.X).argmax(1) == self.y).float().mean().item()
        return acc


torch.manual_seed(14)
X = torch.randn(1200, 40)
y = (X[:, :3].sum(1) > 0).long()
flip = torch.rand(1200) < 0.2
y[flip] = 1 - y[flip]  # noisy labels: a wide network memorises them without dropout
model = nn.Sequential(nn.Linear(40, 192), nn.ReLU(), nn.Dropout(0.7), nn.Linear(192, 192), nn.ReLU(),
                      nn.Dropout(0.7), nn.Linear(192, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
validate = Validate(X[200:600], y[200:600])
model.train()
validate(model, -1)  # sanity check before training
for epoch in range(25):
    for i in range(0, 200, 50):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 50]), y[i:i + 50])
        loss.backward()
        opt.step()
    acc = validate(model, epoch)
print(f"FINAL acc {acc:.3f}")
