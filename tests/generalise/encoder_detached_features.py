"""Two-stage model: an encoder and a head, trained end to end with one optimizer."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 16))

    def forward(self, x):
        return self.net(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        z = self.encoder(x)
        self.cached = z.detach()  # kept for a plot
        return self.head(self.cached)


torch.manual_seed(12)
X = torch.randn(768, 10)
y = torch.sin(2 * X[:, :1]) + X[:, 1:2].abs()
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = F.mse_loss(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = F.mse_loss(model(X[640:]), y[640:]).item()
print(f"FINAL mse {mse:.4f}")
