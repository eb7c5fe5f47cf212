"""Training in a worker thread (non-daemon) started by the main script, as GUI and
server apps do; the main module ends right after starting it and Python joins it."""
import threading

import torch
import torch.nn as nn


def train():
    torch.manual_seed(201)
    model = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    X = torch.randn(256, 3)
    y = X[:, :1] * X[:, 1:2] + X[:, 2:]
    hist = []
    for step in range(150):
        idx = torch.arange(step * 32, step * 32 + 32) % 256
        loss = nn.functional.mse_loss(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
    checksum = sum(p.detach().double().sum().item() for p in model.parameters())
    print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))


worker = threading.Thread(target=train, name="trainer")
worker.start()
