# Exponential moving average of the weights, kept in a deep copy (as timm's ModelEmaV2 does)
# and evaluated every epoch with eval() + no_grad.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(31)


class ModelEma:
    def __init__(self, model, decay=0.95):
        self.module = copy.deepcopy(model).eval()
        self.decay = decay
        for p in self.module.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for e, m in zip(self.module.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(self.decay).add_(m.detach(), alpha=1 - self.decay)
            else:
                e.copy_(m)


model = nn.Sequential(nn.Linear(6, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Dropout(0.2), nn.Linear(48, 1))
ema = ModelEma(model)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
X, Xv = torch.randn(512, 6), torch.randn(128, 6)
f = lambda x: (x[:, :1] - x[:, 1:2]).tanh() + 0.5 * x[:, 2:3]
y, yv = f(X), f(Xv)
val = []
for epoch in range(10):
    model.train()
    for xb, yb in zip(X.split(64), y.split(64)):
        loss = F.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema.update(model)
    with torch.no_grad():
        val.append(F.mse_loss(ema.module(Xv), yv).item())
checksum = sum(p.detach().double().sum().item() for p in ema.module.parameters())
print("RESULT", repr(val[0]), repr(val[-1]), repr(checksum))
