"""Fixed twin of stgcn_steplr_per_batch.py: scheduler.step() runs once per epoch, after the
mini-batch loop, as the thread's answer says.

Traffic-speed forecasting with a small spatio-temporal graph network (temporal gated
convolution -> graph convolution over a normalised sensor adjacency -> temporal convolution),
trained on sliding windows of 12 past steps to predict the next step at every sensor.
StepLR(step_size=10, gamma=0.95) was meant per epoch but scheduler.step() sits inside the
mini-batch loop, next to optimizer.step().

Thread: https://github.com/hazdzz/stgcn/issues/18
User saw: "the position of scheduler.step() is error in main.py, which leads to the
  learning-rate decrease too fast"; the maintainers' reply: step the scheduler outside the
  mini-batch loop (or scale step_size by len(train_iter)); 0.95^100 is already 0.0059.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(47)
N_SENS, T_ALL, WIN = 12, 1600, 12

# ring-road sensors: each is linked to its two neighbours and to one on the other side
A = torch.zeros(N_SENS, N_SENS)
for i in range(N_SENS):
    for j in (i - 1, i + 1, i + N_SENS // 2):
        A[i, j % N_SENS] = 1
A = A + torch.eye(N_SENS)
d = A.sum(1).rsqrt()
A_hat = d[:, None] * A * d[None, :]

t = torch.arange(T_ALL, dtype=torch.float)
daily = torch.sin(2 * math.pi * t / 96)[:, None] * (0.5 + torch.rand(N_SENS))[None]
speed = torch.zeros(T_ALL, N_SENS)
speed[0] = torch.randn(N_SENS)
for k in range(1, T_ALL):  # congestion diffuses along the road graph
    speed[k] = 0.6 * speed[k - 1] @ A_hat.t() + 0.35 * daily[k] + 0.05 * torch.randn(N_SENS)
speed = (speed - speed.mean()) / speed.std()
idx = torch.arange(T_ALL - WIN)[:, None] + torch.arange(WIN + 1)
windows = speed[idx]  # [n, WIN+1, N_SENS]
x_all, y_all = windows[:, :WIN].permute(0, 2, 1), windows[:, WIN]  # [n, N_SENS, WIN], [n, N_SENS]
x_tr, y_tr, x_te, y_te = x_all[:1200], y_all[:1200], x_all[1300:], y_all[1300:]


class STBlock(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.temporal1 = nn.Conv2d(1, 2 * c, (1, 3))
        self.theta = nn.Linear(c, c)
        self.temporal2 = nn.Conv2d(c, c, (1, 3))
        self.norm = nn.LayerNorm([N_SENS, c])
        self.out = nn.Linear(c * (WIN - 4), 1)

    def forward(self, x):  # x: [B, N_SENS, WIN]
        h = self.temporal1(x[:, None])  # [B, 2c, N, WIN-2]
        p, q = h.chunk(2, 1)
        h = p * torch.sigmoid(q)  # GLU over time
        h = torch.einsum("nm,bcmt->bcnt", A_hat, h)  # graph convolution
        h = F.relu(self.theta(h.permute(0, 3, 2, 1))).permute(0, 3, 2, 1)
        h = F.relu(self.temporal2(h))  # [B, c, N, WIN-4]
        h = self.norm(h.permute(0, 3, 2, 1)).permute(0, 2, 3, 1)  # [B, N, WIN-4, c]
        return self.out(h.flatten(2)).squeeze(-1)


model = STBlock()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.95)
persist = F.mse_loss(x_te[:, :, -1], y_te).item()
with torch.no_grad():
    print(f"start test mse {F.mse_loss(model(x_te), y_te).item():.4f} (last-value forecast {persist:.4f})")
for epoch in range(15):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(x_tr), 32):
        b = perm[i:i + 32]
        loss = F.mse_loss(model(x_tr[b]), y_tr[b])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()  # once per epoch
    if epoch % 4 == 0:
        with torch.no_grad():
            te = F.mse_loss(model(x_te), y_te).item()
        print(f"epoch {epoch} train mse {loss.item():.4f} test mse {te:.4f} lr {scheduler.get_last_lr()[0]:.2e}")
with torch.no_grad():
    te = F.mse_loss(model(x_te), y_te).item()
print(f"end test mse {te:.4f} lr {scheduler.get_last_lr()[0]:.2e}")
print(f"FINAL test_mse {te:.4f}")
