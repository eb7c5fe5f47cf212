# Pilot study with only 64 labelled samples: full-batch training of a small MLP, evaluated by
# leave-out on 16 of them.
import numpy as np
import torch
import torch.nn as nn

np.random.seed(33)
torch.manual_seed(33)

X = np.random.randn(64, 5).astype(np.float32)
y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0).astype(np.int64)
X_tr, y_tr = torch.from_numpy(X[:48]), torch.from_numpy(y[:48])
X_te, y_te = torch.from_numpy(X[48:]), torch.from_numpy(y[48:])

model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
for step in range(150):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(X_tr), y_tr)
    loss.backward()
    opt.step()
    if step % 30 == 0:
        print(f"step {step} loss={loss.item():.3f}")
with torch.no_grad():
    acc = (model(X_te).argmax(1) == y_te).float().mean().item()
print(f"final val_acc={acc:.3f}")
