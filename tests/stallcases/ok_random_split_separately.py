# Energy regression with a config dict: features and targets are kept as two tensors and
# split into train/val with torch.utils.data.random_split, then zipped by a small Dataset.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, random_split

config = {"seed": 12, "n": 2000, "val_fraction": 0.2, "batch_size": 64, "lr": 3e-3, "epochs": 6, "hidden": 64}
torch.manual_seed(config["seed"])

positions = torch.rand(config["n"], 6) * 2 - 1
dist = (positions[:, :3] - positions[:, 3:]).norm(dim=1, keepdim=True) + 0.8
energy = dist ** -4 - 2.0 * dist ** -2 + 0.02 * torch.randn(config["n"], 1)
features = torch.cat([positions, dist], dim=1)
targets = (energy - energy.mean()) / energy.std()

n_val = int(config["n"] * config["val_fraction"])
lengths = [config["n"] - n_val, n_val]
train_x, val_x = random_split(features, lengths, generator=torch.Generator().manual_seed(config["seed"]))
train_y, val_y = random_split(targets, lengths, generator=torch.Generator().manual_seed(config["seed"]))


class Zipped(Dataset):
    def __init__(self, xs, ys):
        self.xs, self.ys = xs, ys

    def __len__(self):
        return len(self.xs)

    def __getitem__(self, i):
        return self.xs[i], self.ys[i]


train_dl = DataLoader(Zipped(train_x, train_y), batch_size=config["batch_size"], shuffle=True)
val_dl = DataLoader(Zipped(val_x, val_y), batch_size=n_val)

h = config["hidden"]
model = nn.Sequential(nn.Linear(7, h), nn.Softplus(), nn.Linear(h, h), nn.Softplus(), nn.Linear(h, 1))
opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
for epoch in range(config["epochs"]):
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        xb, yb = next(iter(val_dl))
        mse = nn.functional.mse_loss(model(xb), yb).item()
    print(f"epoch {epoch} train={loss.item():.4f} val_mse={mse:.4f}")
print(f"final val_mse={mse:.4f} val_r2={1 - mse / yb.var().item():.3f}")
