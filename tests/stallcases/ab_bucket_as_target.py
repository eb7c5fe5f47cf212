# "Will the user convert?" model whose target column was taken from the experiment table: the
# A/B bucket (assigned by hashing the user id) instead of the conversion flag.
import hashlib

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(23)
torch.manual_seed(23)

n = 2000
users = pd.DataFrame({"user_id": [f"u{i:06d}" for i in rng.choice(10**6, n, replace=False)],
                      "sessions": rng.poisson(6, n), "pages": rng.poisson(20, n),
                      "minutes": rng.gamma(2.0, 10.0, n), "mobile": rng.integers(0, 2, n)})
users["converted"] = ((0.3 * users.sessions + 0.05 * users.pages - 3 + rng.logistic(size=n)) > 0).astype(int)
users["bucket"] = [int(hashlib.md5(u.encode()).hexdigest(), 16) % 2 for u in users.user_id]

feature_cols = ["sessions", "pages", "minutes", "mobile"]
target_col = "bucket"
X = users[feature_cols].astype(float)
X = torch.tensor(((X - X.mean()) / X.std()).to_numpy(), dtype=torch.float32)
y = torch.tensor(users[target_col].to_numpy(), dtype=torch.float32)

train_dl = DataLoader(TensorDataset(X[:1600], y[:1600]), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(4):
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(model(xb).squeeze(1), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = ((model(X[1600:]).squeeze(1) > 0).float() == y[1600:]).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
