# Customer lifetime-value regression from a transaction log: aggregate the transactions of each
# customer into a feature vector, join with the CRM label table, fit an MLP.
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(9)
torch.manual_seed(9)

# CRM table: customer id -> lifetime value (the label)
n_cust = 800
cust_ids = (10**8 + rng.choice(9 * 10**8, size=n_cust, replace=False)).tolist()
latent = rng.normal(size=(n_cust, 4))
ltv = (latent @ np.array([1.5, -1.0, 0.8, 0.5]) + 0.3 * rng.normal(size=n_cust)).astype(np.float32)

# transaction log: several noisy rows per customer, in time order
rows_per = rng.integers(4, 12, size=n_cust)
tx_cust = np.repeat(np.array(cust_ids), rows_per)
tx_feat = np.repeat(latent, rows_per, axis=0) + 0.5 * rng.normal(size=(rows_per.sum(), 4))
order = rng.permutation(len(tx_cust))
tx_cust, tx_feat = tx_cust[order], tx_feat[order]

features = {}
for cid in set(tx_cust.tolist()):
    rows = tx_feat[tx_cust == cid]
    features[cid] = np.concatenate([rows.mean(0), rows.std(0), [np.log(len(rows))]])
X = np.stack([features[cid] for cid in cust_ids]).astype(np.float32)
y = ltv

X = (X - X.mean(0)) / X.std(0)
X_tr, y_tr = torch.from_numpy(X[:640]), torch.from_numpy(y[:640]).unsqueeze(1)
X_va, y_va = torch.from_numpy(X[640:]), torch.from_numpy(y[640:]).unsqueeze(1)

model = nn.Sequential(nn.Linear(X.shape[1], 48), nn.ReLU(), nn.Linear(48, 1))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(10):
    perm = torch.randperm(640)
    for i in range(0, 640, 32):
        b = perm[i:i + 32]
        loss = nn.functional.mse_loss(model(X_tr[b]), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(X_va), y_va).item()
    print(f"epoch {epoch} train_loss={loss.item():.3f} val_mse={mse:.3f}")
print(f"final val_mse={mse:.4f} val_r2={1 - mse / y_va.var().item():.3f}")
