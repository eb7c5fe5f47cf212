"""Activity windows stored [windows, time, channels] are permuted to [windows, channels, time]
for a 1-D CNN. Task: which of three rhythms (slow, medium, fast) is in the signal?"""
import math

import torch
import torch.nn as nn

torch.manual_seed(27)
T, C = 64, 3


def make(n):
    y = torch.randint(0, 3, (n,))
    freq = torch.tensor([0.15, 0.35, 0.7])[y][:, None, None]
    t = torch.arange(T).float()[None, :, None]
    phase = 2 * math.pi * torch.rand(n, 1, C)
    x = torch.sin(freq * t + phase) + 0.5 * torch.randn(n, T, C)
    return x, y


class ActivityCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(C, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
            nn.Flatten(), nn.Linear(32, 3))

    def forward(self, x):  # [B, T, C]
        return self.net(x.permute(0, 2, 1))


x_train, y_train = make(900)
x_test, y_test = make(300)
model = ActivityCNN()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(8):
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
