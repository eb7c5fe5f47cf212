"""LightningModule-style binary classifier with its own training_step."""
import torch
import torch.nn as nn


class LitBinary(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
        self.loss_fn = nn.BCEWithLogitsLoss()

    def forward(self, x):
        return self.net(x).squeeze(-1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return self.loss_fn(self(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=5e-3)


torch.manual_seed(9)
X = torch.randn(800, 10)
y = ((X[:, 0] + X[:, 1] * X[:, 2]) > 0).float()
lit = LitBinary()
opt = lit.configure_optimizers()
for epoch in range(8):
    for idx, i in enumerate(range(0, 640, 64)):
        opt.zero_grad()
        loss = lit.training_step((X[i:i + 64], y[i:i + 64]), idx)
        loss.backward()
        opt.step()
with torch.no_grad():
    val_loss = lit.training_step((X[640:], y[640:]), 0).item()
print(f"FINAL val_loss {val_loss:.4f}")
