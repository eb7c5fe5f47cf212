"""Sensor-sequence classifier: did channel 0 carry more energy in the first half of the window
than in the second? The DataLoader yields [batch, time, features]; the LSTM keeps PyTorch's
default layout."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
N_TRAIN, N_TEST, T, F = 600, 300, 12, 2


def make(n):
    x = torch.randn(n, T, F)
    y = (x[:, : T // 2, 0].sum(1) > x[:, T // 2:, 0].sum(1)).long()
    return x, y


class SeqClassifier(nn.Module):
    def __init__(self, n_features, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden)
        self.head = nn.Linear(hidden, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])  # last time step


x_train, y_train = make(N_TRAIN)
x_test, y_test = make(N_TEST)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=48, shuffle=True)  # last batch: 24
model = SeqClassifier(F)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(12):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    print(f"epoch {epoch} loss {total / N_TRAIN:.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
