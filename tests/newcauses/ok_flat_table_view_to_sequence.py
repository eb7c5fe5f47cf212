"""Sequences exported as a flat table (one row per sample, columns t0_f0, t0_f1, t1_f0, ...)
are viewed back to [B, T, F] with x.view(B, T, F) and fed to a batch_first GRU.
Task: does feature 0 end higher than it started?"""
import torch
import torch.nn as nn

torch.manual_seed(37)
T, F = 12, 2


def export_table(n):
    seq = torch.randn(n, T, F).cumsum(1) * 0.4
    y = (seq[:, -1, 0] > seq[:, 0, 0]).long()
    return seq.reshape(n, T * F), y  # row-major: time-step blocks of F columns


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(F, 32, batch_first=True)
        self.head = nn.Linear(32, 2)

    def forward(self, rows):
        x = rows.view(rows.shape[0], T, F)
        _, h = self.gru(x)
        return self.head(h[-1])


table_train, y_train = export_table(800)
table_test, y_test = export_table(300)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(10):
    perm = torch.randperm(800)
    for i in range(0, 800, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(table_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(table_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
