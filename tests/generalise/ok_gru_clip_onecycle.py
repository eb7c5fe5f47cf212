"""GRU forecaster with gradient clipping and a OneCycle schedule stepped per batch."""
import torch
import torch.nn as nn


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 32, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, seq):
        h, _ = self.gru(seq)
        return self.out(h[:, -1])


torch.manual_seed(40)
t = torch.linspace(0, 60, 3000)
wave = torch.sin(t) + 0.5 * torch.sin(0.3 * t)
windows = wave.unfold(0, 21, 7)
seqs, targets = windows[:, :20, None], windows[:, 20:]
model = Forecaster()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
epochs, per_epoch = 8, 10
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=epochs * per_epoch)
for epoch in range(epochs):
    for i in range(0, 320, 32):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(seqs[i:i + 32]), targets[i:i + 32])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
with torch.no_grad():
    mse = nn.functional.mse_loss(model(seqs[320:]), targets[320:]).item()
print(f"FINAL mse {mse:.4f}")
