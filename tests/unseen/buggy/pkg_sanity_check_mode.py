"""Experiment script using the helpers in loops_lib.py: raw process readings, normalised by a BatchNorm input layer."""
import torch
import torch.nn as nn

from loops_lib import accuracy, fit

torch.manual_seed(12)
n, d = 600, 8
Z = torch.randn(n + 400, d)
y = (Z[:, 0] - Z[:, 1] + 0.8 * Z[:, 2] * Z[:, 3] + 0.3 * torch.randn(n + 400) > 0).long()  # batch passes QA?
# temperature [K], pressure [kPa], humidity [%], rpm, flow [l/min], pH, density [g/cm3], noise [dB]
mean = torch.tensor([300.0, 101.3, 55.0, 1200.0, 20.0, 3.5, 0.8, 75.0])
std = torch.tensor([8.0, 1.5, 12.0, 150.0, 4.0, 0.5, 0.1, 10.0])
X = Z * std + mean
X_train, y_train, X_val, y_val = X[:n], y[:n], X[n:], y[n:]

model = nn.Sequential(
    nn.BatchNorm1d(d),  # learns the input normalisation
    nn.Linear(d, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2),
    nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(),
    nn.Linear(64, 2),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
fit(model, optimizer, X_train, y_train, X_val, y_val, epochs=15)
print(f"FINAL val_acc {accuracy(model, X_val, y_val):.3f}")
