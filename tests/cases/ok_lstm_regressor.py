# LSTM regressor over sequences, DataLoader, gradient clipping: healthy.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(38)
seqs = torch.randn(600, 12, 3)
target = seqs[:, :, 0].cumsum(1)[:, -1:] / 4
loader = DataLoader(TensorDataset(seqs, target), batch_size=30, shuffle=True)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.out(out[:, -1])


model = Regressor()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(5):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    print(epoch, loss.item())
