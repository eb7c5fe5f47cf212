# Binary classifier trained on crowd-sourced labels: about 30% of the training labels are
# flipped. The signal is still there; validation is scored against the noisy labels too.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(30)
torch.manual_seed(30)

n, d = 2400, 12
X = rng.normal(size=(n, d)).astype(np.float32)
clean = (X[:, 0] + 0.8 * X[:, 1] - 0.6 * X[:, 2] * X[:, 3] > 0).astype(np.float32)
flip = rng.random(n) < 0.30
noisy = np.where(flip, 1 - clean, clean).astype(np.float32)

X_t, y_t = torch.from_numpy(X), torch.from_numpy(noisy)
train_dl = DataLoader(TensorDataset(X_t[:2000], y_t[:2000]), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
for epoch in range(4):
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(xb).squeeze(1), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = (model(X_t[2000:]).squeeze(1) > 0).float()
        acc_noisy = (pred == y_t[2000:]).float().mean().item()
        acc_clean = (pred == torch.from_numpy(clean[2000:])).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc_noisy={acc_noisy:.3f} val_acc_clean={acc_clean:.3f}")
print(f"final val_acc={acc_noisy:.3f} clean_acc={acc_clean:.3f}")
