"""Which of three channels is highest over the last two readings? The loader yields
[batch, time, channels]; the model permutes to time-major for its default-layout LSTM."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(33)
T, F = 10, 3


def make(n):
    x = torch.randn(n, T, F)
    y = x[:, -2:].sum(1).argmax(1)
    return x, y


class TimeMajorLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(F, 32)
        self.fc = nn.Linear(32, 3)

    def forward(self, x):
        out, _ = self.lstm(x.permute(1, 0, 2))  # [T, B, F]
        return self.fc(out[-1])


x_train, y_train = make(800)
x_test, y_test = make(300)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
model = TimeMajorLSTM()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(16):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
