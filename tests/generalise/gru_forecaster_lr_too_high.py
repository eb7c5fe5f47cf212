"""GRU forecaster; argparse defaults carry a learning rate meant for another optimizer."""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=3.0)
parser.add_argument("--epochs", type=int, default=8)
args = parser.parse_args()


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, seq):
        h, _ = self.gru(seq)
        return self.out(h[:, -1])


torch.manual_seed(16)
t = torch.linspace(0, 60, 3000)
wave = torch.sin(t) + 0.5 * torch.sin(0.3 * t)
windows = wave.unfold(0, 21, 7)  # [N, 21]
seqs, targets = windows[:, :20, None], windows[:, 20:]
model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=args.lr)
n_train = 320
for epoch in range(args.epochs):
    for i in range(0, n_train, 32):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(seqs[i:i + 32]), targets[i:i + 32])
        loss.backward()
        opt.step()
with torch.no_grad():
    mse = nn.functional.mse_loss(model(seqs[n_train:]), targets[n_train:]).item()
print(f"FINAL mse {mse:.4f}")
