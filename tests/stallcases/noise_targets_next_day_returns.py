# Predict tomorrow's return from lagged technical indicators (momentum, volatility, moving
# average gaps) of a simulated random-walk price series. Pandas feature engineering + MLP.
import numpy as np
import pandas as pd
import torch
import torch.nn as nn

np.random.seed(21)
torch.manual_seed(21)

prices = pd.Series(100 * np.exp(np.cumsum(0.01 * np.random.randn(3000))))
ret = prices.pct_change()
feats = pd.DataFrame({
    "ret_1": ret, "ret_5": prices.pct_change(5), "ret_20": prices.pct_change(20),
    "vol_10": ret.rolling(10).std(), "ma_gap": prices / prices.rolling(20).mean() - 1,
})
data = feats.assign(target=ret.shift(-1)).dropna()
X = data.drop(columns="target")
X = ((X - X.mean()) / X.std()).to_numpy(np.float32)
y = (data["target"] / data["target"].std()).to_numpy(np.float32)

split = int(0.8 * len(X))
X_tr, y_tr = torch.from_numpy(X[:split]), torch.from_numpy(y[:split])
X_va, y_va = torch.from_numpy(X[split:]), torch.from_numpy(y[split:])

model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(6):
    perm = torch.randperm(split)
    for i in range(0, split, 64):
        b = perm[i:i + 64]
        loss = nn.functional.mse_loss(model(X_tr[b]).squeeze(1), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(X_va).squeeze(1), y_va).item()
    print(f"epoch {epoch} train_mse={loss.item():.3f} val_mse={mse:.3f}")
print(f"final val_mse={mse:.4f} val_r2={1 - mse / y_va.var().item():.3f}")
