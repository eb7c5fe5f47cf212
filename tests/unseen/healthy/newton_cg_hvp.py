# Truncated Newton (Newton-CG) on a small regression network: Hessian-vector products from
# torch.autograd.functional.hvp over a flat parameter vector, a few conjugate-gradient
# iterations with damping, then the parameters are updated in place under no_grad.
import torch
import torch.nn as nn
from torch.autograd.functional import hvp

torch.manual_seed(10)
X = torch.linspace(-2, 2, 128).unsqueeze(1)
y = torch.sin(2 * X) + 0.3 * X
model = nn.Sequential(nn.Linear(1, 12), nn.Tanh(), nn.Linear(12, 1))
params = list(model.parameters())
shapes = [p.shape for p in params]
sizes = [p.numel() for p in params]


def unflatten(flat):
    return [c.view(s) for c, s in zip(flat.split(sizes), shapes)]


def loss_of(flat):
    w1, b1, w2, b2 = unflatten(flat)
    pred = torch.tanh(X @ w1.t() + b1) @ w2.t() + b2
    return ((pred - y) ** 2).mean()


def cg(Avp, b, iters=10, tol=1e-10):
    x = torch.zeros_like(b)
    r, p = b.clone(), b.clone()
    rs = r @ r
    for _ in range(iters):
        Ap = Avp(p)
        curv = p @ Ap
        if curv <= 0:  # negative curvature: stop with the current iterate
            break
        alpha = rs / curv
        x += alpha * p
        r -= alpha * Ap
        new = r @ r
        if new < tol:
            break
        p = r + (new / rs) * p
        rs = new
    return x


damping = 1e-1
losses = []
for it in range(25):
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    loss = model_loss = nn.functional.mse_loss(model(X), y)
    model.zero_grad()
    loss.backward()
    g = torch.cat([p.grad.reshape(-1) for p in params])
    losses.append(model_loss.item())

    def Hv(v):
        return hvp(loss_of, flat, v)[1] + damping * v

    direction = cg(Hv, -g, iters=20)
    if direction.abs().sum() == 0:
        direction = -g
    # backtracking line search on the step length, Levenberg-Marquardt-style damping
    t = 1.0
    while loss_of(flat + t * direction) > loss.item() and t > 1e-4:
        t *= 0.5
    damping = damping * 0.5 if t == 1.0 else damping * 2.0
    with torch.no_grad():
        for p, d in zip(params, unflatten(t * direction)):
            p.add_(d)

final = nn.functional.mse_loss(model(X), y).item()
checksum = sum(p.detach().double().sum().item() for p in params)
print("RESULT", repr(losses[0]), repr(final), repr(checksum))
