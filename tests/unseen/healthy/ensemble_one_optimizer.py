# Deep ensemble trained jointly: five small regressors in an nn.ModuleList, one optimizer
# over all their parameters, the loss summed over members; the ensemble mean is evaluated.
import torch
import torch.nn as nn

torch.manual_seed(7)


class Ensemble(nn.Module):
    def __init__(self, n=5):
        super().__init__()
        self.members = nn.ModuleList(
            nn.Sequential(nn.Linear(4, 24), nn.SiLU(), nn.Linear(24, 1)) for _ in range(n))

    def forward(self, x):
        return torch.stack([m(x) for m in self.members])  # [M, B, 1]


X = torch.randn(400, 4)
y = X[:, :1] * X[:, 1:2] + torch.cos(X[:, 2:3]) + 0.1 * torch.randn(400, 1)
ens = Ensemble()
opt = torch.optim.Adam(ens.parameters(), lr=5e-3)
loss_fn = nn.MSELoss()


def ensemble_mse(xe, ye):
    with torch.no_grad():
        return loss_fn(ens(xe).mean(0), ye).item()


first = ensemble_mse(X[300:], y[300:])
for epoch in range(30):
    for xb, yb in zip(X[:300].split(30), y[:300].split(30)):
        preds = ens(xb)
        loss = sum(loss_fn(p, yb) for p in preds)
        opt.zero_grad()
        loss.backward()
        opt.step()
final = ensemble_mse(X[300:], y[300:])
checksum = sum(p.detach().double().sum().item() for p in ens.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
