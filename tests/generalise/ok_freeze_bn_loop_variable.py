"""Fine-tuning with batch-norm layers frozen correctly (the loop variable, not the model)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def freeze_batchnorm(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()
            m.requires_grad_(False)


torch.manual_seed(37)
X = torch.randn(960, 12)
y = (X[:, :5] @ torch.randn(5, 4)).argmax(1)
model = nn.Sequential(nn.Linear(12, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Linear(48, 48), nn.BatchNorm1d(48),
                      nn.ReLU(), nn.Linear(48, 4))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for i in range(0, 256, 64):  # a short warm-up with batch-norm live
    opt.zero_grad()
    F.cross_entropy(model(X[i:i + 64]), y[i:i + 64]).backward()
    opt.step()
for epoch in range(8):
    model.train()
    freeze_batchnorm(model)
    for i in range(0, 768, 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
model.eval()
with torch.no_grad():
    acc = (model(X[768:]).argmax(1) == y[768:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
