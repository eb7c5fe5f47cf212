"""Deep equilibrium classifier (Bai et al. 2019) trained with the Jacobian-free / one-step
"phantom" gradient (Fung et al. 2022): the hidden state solves z = tanh(W z + U x + b). The
fixed point is found by plain iteration under torch.no_grad() (30 iterations, W rescaled by
its spectral norm to keep the map contractive), then one more application of the layer with
gradients enabled, starting from the detached fixed point, carries the gradient to W, U and b.
Task: 3-arm spirals in 2-D. Metric: test accuracy against the majority class (1/3).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)


def spirals(n, arms=3, noise=0.25):
    y = torch.randint(0, arms, (n,))
    r = torch.rand(n) * 3 + 0.3
    theta = r * 1.6 + y * (2 * math.pi / arms)
    x = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], 1)
    return x + noise * torch.randn(n, 2), y


class DEQLayer(nn.Module):
    def __init__(self, d_in, h=64, contraction=0.9):
        super().__init__()
        self.W = nn.Parameter(torch.randn(h, h) / math.sqrt(h))
        self.U = nn.Linear(d_in, h)
        self.contraction = contraction

    def f(self, z, u):
        W = self.contraction * self.W / torch.linalg.matrix_norm(self.W, ord=2)
        return torch.tanh(z @ W.t() + u)

    def forward(self, x, iters=30):
        u = self.U(x)
        with torch.no_grad():
            z = torch.zeros_like(u)
            for _ in range(iters):
                z = self.f(z, u)
        return self.f(z.detach(), u)          # one differentiable step from the fixed point


class DEQClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(2, 64), nn.Tanh())
        self.deq = DEQLayer(64)
        self.head = nn.Linear(64, 3)

    def forward(self, x):
        return self.head(self.deq(self.embed(x)))


x_tr, y_tr = spirals(3000)
x_te, y_te = spirals(1000)
model = DEQClassifier()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


@torch.no_grad()
def accuracy():
    return (model(x_te).argmax(1) == y_te).float().mean().item()


print(f"majority baseline {torch.bincount(y_te).max().item() / len(y_te):.3f}; start acc {accuracy():.3f}")
for epoch in range(12):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 100):
        b = perm[i:i + 100]
        loss = F.cross_entropy(model(x_tr[b]), y_tr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 3 == 2:
        print(f"epoch {epoch} loss {loss.item():.4f} test acc {accuracy():.3f}")
print(f"FINAL test_acc {accuracy():.3f}")
