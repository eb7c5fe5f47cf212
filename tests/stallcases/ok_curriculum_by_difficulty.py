# Curriculum learning: samples (inputs together with their labels) are ordered by a difficulty
# score (distance to the decision boundary); the first epochs walk easy -> hard without
# shuffling, later epochs shuffle.
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(37)
torch.manual_seed(37)

n = 1800
X = rng.normal(size=(n, 10)).astype(np.float32)
margin = X[:, 0] * 1.5 + X[:, 1] - X[:, 2]
y = (margin > 0).astype(np.float32)
X_val, y_val = torch.from_numpy(X[1500:]), torch.from_numpy(y[1500:])
X, y, margin = X[:1500], y[:1500], margin[:1500]

order = np.argsort(-np.abs(margin))        # easiest (largest margin) first
X_cur, y_cur = torch.from_numpy(X[order]), torch.from_numpy(y[order])

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
BATCH = 50
for epoch in range(5):
    if epoch < 2:
        stop = int(len(X_cur) * (0.5 + 0.5 * epoch))   # pacing: first half, then everything
        idx = torch.arange(stop)
    else:
        idx = torch.randperm(len(X_cur))
    for i in range(0, len(idx), BATCH):
        b = idx[i:i + BATCH]
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(X_cur[b]).squeeze(1), y_cur[b])
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = ((model(X_val).squeeze(1) > 0).float() == y_val).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
