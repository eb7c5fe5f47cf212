# Fraud detection with 3% positives: BCE with pos_weight, a WeightedRandomSampler-free loader,
# and precision/recall on a held-out split.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(32)
torch.manual_seed(32)

n, d = 4000, 8
y = (rng.random(n) < 0.03).astype(np.float32)
X = rng.normal(size=(n, d)).astype(np.float32)
X[y == 1, :3] += np.array([2.0, -1.5, 1.5], dtype=np.float32)

X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
train_dl = DataLoader(TensorDataset(X_t[:3200], y_t[:3200]), batch_size=64, shuffle=True)
pos_weight = torch.tensor((y[:3200] == 0).sum() / max(1, (y[:3200] == 1).sum()))
model = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
crit = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
for epoch in range(3):
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = crit(model(xb).squeeze(1), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = (model(X_t[3200:]).squeeze(1) > 0).float()
    tgt = y_t[3200:]
    tp = (pred * tgt).sum().item()
    recall, precision = tp / max(1, tgt.sum().item()), tp / max(1, pred.sum().item())
    print(f"epoch {epoch} loss={loss.item():.3f} recall={recall:.2f} precision={precision:.2f}")
acc = (pred == tgt).float().mean().item()
print(f"final val_acc={acc:.3f} recall={recall:.2f} precision={precision:.2f}")
