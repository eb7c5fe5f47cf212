# Plain SGD with a small learning rate on a regression MLP: slow but steady progress.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(34)
X = torch.randn(2000, 8)
y = (X[:, :4].sum(1, keepdim=True) + torch.sin(X[:, 4:5] * 2)) + 0.1 * torch.randn(2000, 1)
loader = DataLoader(TensorDataset(X[:1600], y[:1600]), batch_size=32, shuffle=True)

model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.004)
for epoch in range(6):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(X[1600:]), y[1600:]).item()
    print(f"epoch {epoch} val_mse={mse:.4f}")
print(f"final val_mse={mse:.4f} val_r2={1 - mse / y[1600:].var().item():.3f}")
