"""Linear probe: a pretrained backbone frozen on purpose, the whole model handed to the optimizer."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(42)
X = torch.randn(960, 12)
y = (X[:, :5] @ torch.randn(5, 4)).argmax(1)
backbone = nn.Sequential(nn.Linear(12, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU())
model = nn.Sequential(backbone, nn.Linear(128, 4))
backbone.requires_grad_(False)  # random features stand in for a pretrained backbone
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(8):
    for i in range(0, 768, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(X[768:]).argmax(1) == y[768:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
