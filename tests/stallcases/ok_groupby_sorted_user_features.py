# Churn prediction from an event log with pandas: per-user aggregates via groupby, labels from
# the users table (in sign-up order), BCE-trained MLP with a DataLoader.
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

SEED = 10
rng = np.random.default_rng(SEED)
torch.manual_seed(SEED)

n_users = 1500
users = pd.DataFrame({"user_id": rng.choice(100000, n_users, replace=False),
                      "signup_day": np.sort(rng.integers(0, 365, n_users))})
engagement = rng.normal(size=n_users)
users["churned"] = (engagement + 0.3 * rng.normal(size=n_users) < 0).astype(np.float32)

n_events = rng.poisson(np.exp(1.5 + 0.6 * engagement)) + 1
events = pd.DataFrame({
    "user_id": np.repeat(users.user_id.values, n_events),
    "duration": rng.gamma(2.0, np.repeat(np.exp(0.5 * engagement), n_events)),
    "clicks": rng.poisson(np.repeat(np.exp(1 + 0.4 * engagement), n_events)),
}).sample(frac=1.0, random_state=SEED)

agg = events.groupby("user_id").agg(n_events=("duration", "size"), dur_mean=("duration", "mean"),
                                    dur_max=("duration", "max"), clicks_mean=("clicks", "mean"))
agg = np.log1p(agg.reindex(users["user_id"]))
X = ((agg - agg.mean()) / agg.std()).to_numpy(np.float32)
y = users["churned"].to_numpy()

n_tr = 1200
train_ds = TensorDataset(torch.from_numpy(X[:n_tr]), torch.from_numpy(y[:n_tr]))
X_val, y_val = torch.from_numpy(X[n_tr:]), torch.from_numpy(y[n_tr:])
loader = DataLoader(train_ds, batch_size=32, shuffle=True)

model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for xb, yb in loader:
        loss = nn.functional.binary_cross_entropy_with_logits(model(xb).squeeze(1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = ((model(X_val).squeeze(1) > 0).float() == y_val).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
