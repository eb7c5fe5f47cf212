# Tabular regression with a NumPy preprocessing pipeline: winsorize the targets at the
# 1st/99th percentile, standardise, then a small MLP trained with mini-batches.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
np.random.seed(SEED)
torch.manual_seed(SEED)


def make_data(n=2000, d=10):
    X = np.random.randn(n, d).astype(np.float32)
    w = np.linspace(1.0, -1.0, d).astype(np.float32)
    y = X @ w + 0.5 * np.sin(2 * X[:, 0]) + 0.1 * np.random.randn(n).astype(np.float32)
    return X, y.astype(np.float32)


def winsorize(y, q=0.01):
    ys = np.sort(y)
    lo, hi = ys[int(q * len(ys))], ys[int((1 - q) * len(ys)) - 1]
    return np.clip(ys, lo, hi)


X, y = make_data()
n_train = 1600
X_train, y_train = X[:n_train], winsorize(y[:n_train])
X_val, y_val = X[n_train:], y[n_train:]
y_mu, y_sd = y_train.mean(), y_train.std()

Xt = torch.from_numpy(X_train)
yt = torch.from_numpy((y_train - y_mu) / y_sd)
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(8):
    perm = torch.randperm(n_train)
    total = 0.0
    for i in range(0, n_train, 64):
        idx = perm[i:i + 64]
        loss = F.mse_loss(model(Xt[idx]).squeeze(-1), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    print(f"epoch {epoch} train_mse={total / n_train:.4f}")

model.eval()
with torch.no_grad():
    pred = model(torch.from_numpy(X_val)).squeeze(-1).numpy() * y_sd + y_mu
mse = float(((pred - y_val) ** 2).mean())
print(f"final val_mse={mse:.4f} val_r2={1 - mse / y_val.var():.3f}")
