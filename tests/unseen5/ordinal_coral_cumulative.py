"""Ordinal regression with CORAL: one shared score per sample (an MLP ending in a single
bias-free unit) plus K-1 learned, ordered thresholds; the label y in 0..K-1 becomes K-1
binary targets [y > k], trained with BCE-with-logits. The predicted rank is the number of
thresholds the sample passes. Reports mean absolute error in rank."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
K, D = 6, 10
w_true = torch.randn(D)


def make(n):
    x = torch.randn(n, D)
    latent = x @ w_true / w_true.norm() + 0.3 * torch.sin(3 * x[:, 0]) + 0.25 * torch.randn(n)
    cuts = torch.tensor([-1.2, -0.5, 0.0, 0.5, 1.2])
    y = (latent[:, None] > cuts).sum(1)
    return x, y


x_tr, y_tr = make(2000)
x_te, y_te = make(1000)


class Coral(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(D, 32), nn.ReLU(), nn.Linear(32, 1, bias=False))
        self.thresholds = nn.Parameter(torch.linspace(-1, 1, K - 1))

    def forward(self, x):
        return self.body(x) - self.thresholds  # [N, K-1] logits of P(y > k)


def levels(y):
    return (y[:, None] > torch.arange(K - 1)).float()


model = Coral()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


@torch.no_grad()
def mae():
    pred = (torch.sigmoid(model(x_te)) > 0.5).sum(1)
    return (pred - y_te).abs().float().mean().item()


baseline = (y_te - y_tr.float().median()).abs().float().mean().item()
print(f"start mae {mae():.3f} (median-rank baseline {baseline:.3f})")
for epoch in range(15):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(x_tr), 100):
        idx = perm[i:i + 100]
        loss = F.binary_cross_entropy_with_logits(model(x_tr[idx]), levels(y_tr[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f} test mae {mae():.3f}")
m = mae()
print(f"end test mae {m:.3f}")
print(f"FINAL test_mae {m:.3f}")
