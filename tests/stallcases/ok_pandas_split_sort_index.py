# Churn classifier on a pandas DataFrame: one-hot region, random train/val split with
# DataFrame.sample, a Dataset class over NumPy arrays and a DataLoader.
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CFG = {"seed": 1, "batch_size": 32, "epochs": 6, "lr": 2e-3, "val_frac": 0.2}
torch.manual_seed(CFG["seed"])
rng = np.random.default_rng(CFG["seed"])

n = 2000
df = pd.DataFrame({
    "age": rng.integers(18, 80, n),
    "income": rng.lognormal(10, 0.5, n),
    "tenure": rng.integers(0, 30, n),
    "visits": rng.poisson(5, n),
    "region": rng.choice(["north", "south", "east", "west"], n),
})
z = lambda s: (s - s.mean()) / s.std()
logit = 1.5 * z(df.age) - 2.0 * z(np.log(df.income)) + 1.0 * z(df.visits) + 1.5 * (df.region == "south") - 0.4
df["churn"] = (logit + 0.3 * rng.logistic(size=n) > 0).astype(int)
df = pd.get_dummies(df, columns=["region"], dtype=float)
df["income"] = np.log(df["income"])

val_df = df.sample(frac=CFG["val_frac"], random_state=CFG["seed"])
train_df = df.drop(val_df.index).sample(frac=1.0, random_state=CFG["seed"])
y_train = train_df.pop("churn")
y_val = val_df.pop("churn")
mean, std = train_df.mean(), train_df.std()
X_train = ((train_df - mean) / std).to_numpy(np.float32)
X_val = ((val_df - mean) / std).to_numpy(np.float32)


class ChurnDataset(Dataset):
    def __init__(self, X, y):
        self.X = torch.from_numpy(X)
        self.y = torch.tensor(np.asarray(y), dtype=torch.float32)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


loader = DataLoader(ChurnDataset(X_train, y_train), batch_size=CFG["batch_size"], shuffle=True)
model = nn.Sequential(nn.Linear(X_train.shape[1], 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
loss_fn = nn.BCEWithLogitsLoss()

for epoch in range(CFG["epochs"]):
    for xb, yb in loader:
        loss = loss_fn(model(xb).squeeze(1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss={loss.item():.4f}")

with torch.no_grad():
    pred = (model(torch.from_numpy(X_val)).squeeze(1) > 0).long().numpy()
print(f"final val_acc={(pred == y_val.to_numpy()).mean():.3f}")
