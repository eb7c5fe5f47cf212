"""A model with its own weight-initialisation routine applied via model.apply."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.05)
        nn.init.zeros_(m.bias)


torch.manual_seed(23)
X = torch.randn(768, 8)
y = (X[:, :3] @ torch.randn(3, 4)).argmax(1)
model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 4))
model.apply(init_weights)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(10):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(X[640:]).argmax(1) == y[640:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
