"""Multi-task learning with homoscedastic uncertainty weighting (Kendall et al.): learned
log-variances weight a regression and a classification loss; weight-normalised shared trunk."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import weight_norm

torch.manual_seed(261)


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(weight_norm(nn.Linear(6, 64)), nn.SiLU(), weight_norm(nn.Linear(64, 64)),
                                   nn.SiLU())
        self.reg = nn.Linear(64, 1)
        self.cls = nn.Linear(64, 3)
        self.log_vars = nn.Parameter(torch.zeros(2))

    def forward(self, x):
        h = self.trunk(x)
        return self.reg(h).squeeze(1), self.cls(h)

    def combine(self, l_reg, l_cls):
        w = torch.exp(-self.log_vars)
        return 0.5 * w[0] * l_reg + w[1] * l_cls + self.log_vars.sum()


X = torch.randn(600, 6)
y_reg = 3 * X[:, 0] - X[:, 1] ** 2
y_cls = torch.bucketize(X[:, 2] + X[:, 3], torch.tensor([-0.5, 0.5]))
model = MultiTask()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
hist = []
for epoch in range(8):
    for idx in torch.randperm(600).split(50):
        r, c = model(X[idx])
        l_reg, l_cls = F.mse_loss(r, y_reg[idx]), F.cross_entropy(c, y_cls[idx])
        loss = model.combine(l_reg, l_cls)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(l_reg.item() + l_cls.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
