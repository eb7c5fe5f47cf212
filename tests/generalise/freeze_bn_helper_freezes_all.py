"""Fine-tuning with a helper that should freeze the batch-norm layers only."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def freeze_batchnorm(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()
            model.requires_grad_(False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(),
                                  nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU())
        self.head = nn.Linear(64, 3)
        self.temperature = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return self.head(self.body(x)) / self.temperature


torch.manual_seed(2)
X = torch.randn(1200, 16)
y = (X[:, :6] @ torch.randn(6, 3)).argmax(1)
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
freeze_batchnorm(net)
net.temperature.requires_grad_(True)  # the temperature is tuned on its own
for epoch in range(10):
    net.train()
    freeze_batchnorm(net)
    net.temperature.requires_grad_(True)
    for i in range(0, 960, 64):
        opt.zero_grad()
        loss = F.cross_entropy(net(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
net.eval()
with torch.no_grad():
    acc = (net(X[960:]).argmax(1) == y[960:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
