"""A one-step-ahead (pred_len=1) return forecaster: the model outputs [B, pred_len], the loader
yields targets of shape [B], and nn.MSELoss compares the two.

Thread: https://github.com/jsboige/CoursIA/pull/926
User saw: "UserWarning: Using a target size (torch.Size([64])) that is different to the input size
  (torch.Size([64, 1]))" during a walk-forward run; the sweep had found no model that beat the
  baselines.
Cause (thread): MSELoss broadcasts (B, 1) against (B,) to a (B, B) matrix of pairwise
  differences, so the gradient points the wrong way.
Fix (thread): y_batch.view_as(pred) before the criterion.
"""
import torch
import torch.nn as nn

torch.manual_seed(16)
LOOKBACK, PRED_LEN, B = 24, 1, 64


def make_windows(n):
    # an AR(2) series; predict the next value from the last LOOKBACK values
    x = torch.zeros(n + LOOKBACK + PRED_LEN + 2)
    noise = 0.3 * torch.randn_like(x)
    for t in range(2, len(x)):
        x[t] = 1.3 * x[t - 1] - 0.6 * x[t - 2] + noise[t]
    windows = torch.stack([x[i:i + LOOKBACK] for i in range(n)])
    targets = torch.stack([x[i + LOOKBACK] for i in range(n)])  # shape [n]
    return windows, targets


class PatchForecaster(nn.Module):
    def __init__(self, d=32):
        super().__init__()
        self.embed = nn.Linear(LOOKBACK, d)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(d, d), nn.ReLU())
        self.head = nn.Linear(d, PRED_LEN)

    def forward(self, x):
        return self.head(self.mlp(self.embed(x)))  # [B, pred_len]


X, Y = make_windows(2560)
x_train, y_train, x_val, y_val = X[:2048], Y[:2048], X[2048:], Y[2048:]
model = PatchForecaster()
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(10):
    for i in range(0, len(x_train), B):
        x_batch, y_batch = x_train[i:i + B], y_train[i:i + B]
        pred = model(x_batch)
        loss = criterion(pred, y_batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    val_mse = ((model(x_val).squeeze(1) - y_val) ** 2).mean().item()
print(f"FINAL mse {val_mse:.4f}")
