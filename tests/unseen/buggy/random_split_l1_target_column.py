"""Price regression with TensorDataset/random_split; targets stored as a column, the model returns a vector."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split


class PriceNet(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.mlp(x).squeeze(-1)  # one price per row


def l1_loss(pred, target):
    return (pred - target).abs().mean()


torch.manual_seed(37)
X = torch.randn(1500, 7)
log_price = 0.8 * X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - 0.4 * X[:, 3] ** 2 + 0.3 * torch.randn(1500)
data = TensorDataset(X, log_price.unsqueeze(1))  # targets kept as [N, 1], like a one-column table
train_set, val_set = random_split(data, [1200, 300], generator=torch.Generator().manual_seed(1))
model = PriceNet(7)
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(10):
    for xb, yb in DataLoader(train_set, batch_size=32, shuffle=True):
        loss = l1_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

xv, yv = next(iter(DataLoader(val_set, batch_size=len(val_set))))
with torch.no_grad():
    mae = (model(xv) - yv.squeeze(1)).abs().mean().item()
print(f"FINAL mae {mae:.4f}")
