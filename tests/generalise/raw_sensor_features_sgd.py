"""Sensor readings in their raw units (pressure in Pa, temperature in K) fed to an MLP."""
import torch
import torch.nn as nn

torch.manual_seed(20)
n = 1000
pressure = 101_325 + 2_000 * torch.randn(n)
temperature = 290 + 8 * torch.randn(n)
humidity = torch.rand(n)
X = torch.stack([pressure, temperature, humidity], 1)
y = (((pressure - 101_325) / 2_000) * 0.7 - ((temperature - 290) / 8) * 0.5 + humidity > 0.3).long()
model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 2))
opt = torch.optim.SGD(model.parameters(), lr=1e-3)
for epoch in range(10):
    for i in range(0, 800, 50):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X[i:i + 50]), y[i:i + 50])
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(X[800:]).argmax(1) == y[800:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
