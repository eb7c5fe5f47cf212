"""Motif detector for 6-channel accelerometer windows stored [windows, time, channels].
The 1-D CNN takes its input channel count from the array and gets the windows unpermuted."""
import torch
import torch.nn as nn

torch.manual_seed(3)
N, T, C = 1200, 40, 6
MOTIF = torch.tensor([1.5, -2.0, 2.0, -2.0, 1.5])


def make(n):
    x = 0.8 * torch.randn(n, T, C)
    y = torch.randint(0, 2, (n,))
    for i in torch.nonzero(y).flatten().tolist():
        t0 = torch.randint(0, T - 5, ()).item()
        x[i, t0:t0 + 5, 0] += MOTIF
        x[i, t0:t0 + 5, 1] -= MOTIF
    return x, y


x_all, y_all = make(N)
x_train, y_train, x_test, y_test = x_all[:900], y_all[:900], x_all[900:], y_all[900:]
in_ch = x_train.shape[1]
model = nn.Sequential(
    nn.Conv1d(in_ch, 16, 3, padding=1), nn.ReLU(),
    nn.Conv1d(16, 16, 3, padding=1), nn.ReLU(),
    nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(16, 2),
)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(15):
    perm = torch.randperm(900)
    for i in range(0, 900, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
