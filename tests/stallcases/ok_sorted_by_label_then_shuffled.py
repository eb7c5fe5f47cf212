# The export comes grouped by class: the DataFrame is sorted by label (rows intact, so inputs
# stay with their labels) and the DataLoader shuffles every epoch.
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

rng = np.random.default_rng(36)
torch.manual_seed(36)

n = 2000
df = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])
df["label"] = np.argmax(np.stack([df.f0 + df.f1, df.f2 - df.f0, df.f3 + 0.5 * df.f4], 1), 1)
df = df.sort_values("label", kind="stable").reset_index(drop=True)
val_df = df.sample(400, random_state=36)
train_df = df.drop(val_df.index)


class FrameDataset(Dataset):
    def __init__(self, frame):
        self.x = torch.tensor(frame.drop(columns="label").to_numpy(), dtype=torch.float32)
        self.y = torch.tensor(frame["label"].to_numpy())

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


train_dl = DataLoader(FrameDataset(train_df), batch_size=32, shuffle=True)
val_ds = FrameDataset(val_df)
model = nn.Sequential(nn.Linear(6, 48), nn.ReLU(), nn.Linear(48, 3))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(4):
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (model(val_ds.x).argmax(1) == val_ds.y).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
