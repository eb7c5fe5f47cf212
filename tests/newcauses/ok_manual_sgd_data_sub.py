"""Classifier module updated with a hand-rolled momentum SGD on .data (no torch.optim);
model.zero_grad() every step."""
import torch
import torch.nn as nn

torch.manual_seed(30)
centers = 2.5 * torch.randn(4, 12)
y = torch.randint(0, 4, (1200,))
X = centers[y] + 1.5 * torch.randn(1200, 12)

model = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 4))
velocity = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
lr, beta = 0.05, 0.9
for epoch in range(10):
    perm = torch.randperm(1000)
    for i in range(0, 1000, 50):
        idx = perm[i:i + 50]
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
        loss.backward()
        for name, p in model.named_parameters():
            velocity[name].mul_(beta).add_(p.grad)
            p.data.sub_(lr * velocity[name])
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(X[1000:]).argmax(1) == y[1000:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
