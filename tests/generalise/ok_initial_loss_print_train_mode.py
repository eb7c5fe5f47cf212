"""Prints the untrained loss once (model still in its default train mode), then trains and validates properly."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(32)
X = torch.randn(1000, 12)
y = (X[:, :4] @ torch.randn(4, 3)).argmax(1)
model = nn.Sequential(nn.Linear(12, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
with torch.no_grad():
    print("initial loss", F.cross_entropy(model(X[:800]), y[:800]).item(), "expected ~", torch.log(torch.tensor(3.0)).item())
for epoch in range(8):
    model.train()
    for i in range(0, 800, 50):
        opt.zero_grad()
        loss = F.cross_entropy(model(X[i:i + 50]), y[i:i + 50])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(X[800:]).argmax(1) == y[800:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
