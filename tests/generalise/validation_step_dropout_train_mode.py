"""LightningModule-like classifier whose validation loop never switches to eval mode."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Lit(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 96), nn.ReLU(), nn.Dropout(0.6), nn.Linear(96, 96), nn.ReLU(),
                                 nn.Dropout(0.6), nn.Linear(96, 3))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch):
        x, y = batch
        return F.cross_entropy(self(x), y)

    @torch.no_grad()
    def validation_step(self, batch):
        x, y = batch
        return (self(x).argmax(1) == y).float().mean().item()


torch.manual_seed(15)
X = torch.randn(1000, 16)
y = (X[:, :4] @ torch.randn(4, 3)).argmax(1)
lit = Lit()
opt = torch.optim.Adam(lit.parameters(), lr=2e-3)
best = 0.0
for epoch in range(6):
    lit.train()
    for i in range(0, 800, 50):
        opt.zero_grad()
        lit.training_step((X[i:i + 50], y[i:i + 50])).backward()
        opt.step()
    val = lit.validation_step((X[800:], y[800:]))
    best = max(best, val)
print(f"FINAL val_acc {val:.3f}")
