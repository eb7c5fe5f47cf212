"""Tabular preprocessing with NumPy: a log transform of a column that has zeros and negatives."""
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(18)
n = 800
income = rng.normal(3.0, 1.5, n)  # some incomes are <= 0
age = rng.uniform(-1, 1, n)
target = (0.8 * age + 0.3 * np.tanh(income) + 0.05 * rng.normal(size=n)).astype(np.float32)
features = np.stack([np.log(income), age], 1).astype(np.float32)
X, y = torch.from_numpy(features), torch.from_numpy(target)[:, None]
torch.manual_seed(18)
model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    for i in range(0, 640, 64):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = nn.functional.mse_loss(model(X[640:]), y[640:]).item()
print(f"FINAL mse {mse}")
