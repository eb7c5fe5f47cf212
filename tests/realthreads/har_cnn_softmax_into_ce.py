"""Human activity recognition CNN on 9-channel inertial windows; the network's forward ends in
F.softmax and the loss is nn.CrossEntropyLoss.

Thread: https://github.com/jindongwang/Deep-learning-activity-recognition/issues/10
User saw: the PyTorch model feeds a softmax output to nn.CrossEntropyLoss (main_pytorch.py).
Cause (thread, confirmed by the author): CrossEntropyLoss applies (log-)softmax itself, so the
  softmax is applied twice and the gradients shrink.
Fix (thread): return the raw outputs (logits) from the network; no F.softmax before the loss.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(14)
N_CLASSES, CHANNELS, WINDOW = 6, 9, 64


def make_windows(n):
    # each activity = a characteristic frequency and axis pattern, plus sensor noise
    label = torch.randint(0, N_CLASSES, (n,))
    t = torch.arange(WINDOW).float()
    freq = 0.05 + 0.04 * label.float()
    phase = 2 * math.pi * torch.rand(n, 1)
    base = torch.sin(2 * math.pi * freq[:, None] * t[None] + phase)
    gain = torch.stack([torch.roll(torch.linspace(0.2, 1.0, CHANNELS), int(k)) for k in label])
    x = gain[:, :, None] * base[:, None, :] + 0.4 * torch.randn(n, CHANNELS, WINDOW)
    return x.unsqueeze(2), label  # (n, 9, 1, 64) like the UCI-HAR loader


class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(CHANNELS, 32, (1, 9)), nn.ReLU(), nn.MaxPool2d((1, 2)))
        self.conv2 = nn.Sequential(nn.Conv2d(32, 64, (1, 9)), nn.ReLU(), nn.MaxPool2d((1, 2)))
        self.fc1 = nn.Sequential(nn.Linear(64 * 10, 128), nn.ReLU())
        self.fc2 = nn.Linear(128, N_CLASSES)

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        out = out.reshape(-1, 64 * 10)
        out = self.fc2(self.fc1(out))
        return F.softmax(out, dim=1)


x_train, y_train = make_windows(1024)
x_test, y_test = make_windows(256)
model = Network()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(6):
    for i in range(0, len(x_train), 64):
        optimizer.zero_grad()
        loss = criterion(model(x_train[i:i + 64]), y_train[i:i + 64])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    print(f"FINAL acc {(model(x_test).argmax(1) == y_test).float().mean().item():.3f}")
