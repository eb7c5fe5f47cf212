# Notebook-style regression: data from NumPy, a hand-written RMSE, targets kept 1-D.
import numpy as np
import torch
import torch.nn as nn

# %% data
rng = np.random.default_rng(33)
features = rng.normal(size=(700, 6)).astype(np.float32)
target = (features[:, 0] * 1.5 - features[:, 3] + 0.2 * rng.normal(size=700)).astype(np.float32)
X = torch.from_numpy(features)
y = torch.from_numpy(target)

# %% model


def rmse(pred, true):
    return torch.sqrt(torch.mean((pred - true) ** 2))


torch.manual_seed(33)
net = nn.Sequential(nn.Linear(6, 40), nn.ReLU(), nn.Linear(40, 1))
optim = torch.optim.Adam(net.parameters(), lr=2e-3)

# %% train
for epoch in range(60):
    perm = torch.randperm(700)
    for i in range(0, 700, 100):
        idx = perm[i:i + 100]
        optim.zero_grad()
        err = rmse(net(X[idx]), y[idx])
        err.backward()
        optim.step()
print("rmse", err.item())
