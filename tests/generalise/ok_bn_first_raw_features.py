"""LightningModule-style tabular classifier whose first layer is a BatchNorm on raw features."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LitTabular(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch):
        x, y = batch
        return F.cross_entropy(self(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


torch.manual_seed(30)
n = 1000
pressure = 101_325 + 2_000 * torch.randn(n)
temperature = 290 + 8 * torch.randn(n)
humidity = torch.rand(n)
X = torch.stack([pressure, temperature, humidity], 1)
y = (((pressure - 101_325) / 2_000) * 0.7 - ((temperature - 290) / 8) * 0.5 + humidity > 0.3).long()
lit = LitTabular()
opt = lit.configure_optimizers()
for epoch in range(8):
    lit.train()
    for i in range(0, 800, 50):
        opt.zero_grad()
        lit.training_step((X[i:i + 50], y[i:i + 50])).backward()
        opt.step()
lit.eval()
with torch.no_grad():
    acc = (lit(X[800:]).argmax(1) == y[800:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
