"""Sequences are generated time-major ([T, B, F]) and fed to an LSTM with its default layout.
Task: a trend score, the readings weighted from -1 (first) to +1 (last)."""
import torch
import torch.nn as nn

torch.manual_seed(24)
T, B_TRAIN, B_TEST = 10, 640, 200


def make(b):
    x = torch.randn(T, b, 1)
    y = (x * torch.linspace(-1, 1, T)[:, None, None]).sum(0) / 2  # [B, 1]
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32)
        self.out = nn.Linear(32, 1)

    def forward(self, x):  # x: [T, B, 1]
        h, _ = self.lstm(x)
        return self.out(h[-1])


x_train, y_train = make(B_TRAIN)
x_test, y_test = make(B_TEST)
net = Net()
opt = torch.optim.Adam(net.parameters(), lr=2e-2)
for epoch in range(15):
    perm = torch.randperm(B_TRAIN)
    for i in range(0, B_TRAIN, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x_train[:, idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} mse {loss.item():.4f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(net(x_test), y_test).item()
print(f"FINAL mse {mse:.4f}")
