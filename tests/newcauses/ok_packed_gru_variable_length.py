"""Variable-length sequences padded to [B, T_max, F] and packed with
pack_padded_sequence(batch_first=True, enforce_sorted=False) for a batch_first GRU.
Task: regress the mean of each sequence's last three valid readings."""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

torch.manual_seed(38)
T_MAX = 14


def make(n):
    lengths = torch.randint(5, T_MAX + 1, (n,))
    x = torch.randn(n, T_MAX, 1)
    x[torch.arange(T_MAX)[None, :] >= lengths[:, None]] = 0.0
    idx = lengths[:, None] - torch.arange(1, 4)[None, :]
    y = x[torch.arange(n)[:, None], idx, 0].mean(1, keepdim=True)
    return x, lengths, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.out(h[-1])


x_train, len_train, y_train = make(700)
x_test, len_test, y_test = make(250)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(10):
    perm = torch.randperm(700)
    for i in range(0, 700, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x_train[idx], len_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} mse {loss.item():.4f}")
with torch.no_grad():
    mse = nn.functional.mse_loss(model(x_test, len_test), y_test).item()
print(f"target variance {y_test.var().item():.3f}")
print(f"FINAL mse {mse:.4f}")
