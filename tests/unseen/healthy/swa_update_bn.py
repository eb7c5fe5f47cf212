# Stochastic weight averaging: after a normal SGD phase, the averaged model collects the
# weights every epoch under a SWALR schedule, then update_bn recomputes its BatchNorm
# statistics (forward passes in train mode under no_grad, on purpose) before evaluating it.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(3)
X = torch.randn(640, 10)
w = torch.randn(10, 1)
y = (X @ w).sin() + 0.1 * X[:, :1] ** 2 + 0.05 * torch.randn(640, 1)
train = DataLoader(TensorDataset(X[:512], y[:512]), batch_size=32, shuffle=True)
Xv, yv = X[512:], y[512:]

model = nn.Sequential(nn.Linear(10, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 64),
                      nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 1))
swa_model = AveragedModel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
swa_sched = SWALR(opt, swa_lr=0.02, anneal_epochs=2)
swa_start = 6


def val_loss(net):
    net.eval()
    with torch.no_grad():
        return F.mse_loss(net(Xv), yv).item()


first = val_loss(model)
for epoch in range(10):
    model.train()
    for xb, yb in train:
        opt.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        opt.step()
    if epoch >= swa_start:
        swa_model.update_parameters(model)
        swa_sched.step()
    else:
        sched.step()
update_bn(train, swa_model)
final = val_loss(swa_model)
checksum = sum(p.detach().double().sum().item() for p in swa_model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
