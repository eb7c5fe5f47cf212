"""Co-teaching (Han et al. 2018) against 40% symmetric label noise.

Two networks with different initialisations are trained simultaneously. On every batch
each computes its per-sample loss (reduction='none'); each keeps the (1 - forget_rate)
fraction of samples with the smallest loss *under its own net* and hands those indices to
the *other* network, which is updated only on them. The forget rate ramps from 0 to the
noise rate over the first epochs. Functional style: the schedule is a generator, one
optimizer per network.
Metric: clean test accuracy of both networks (chance 0.2), start and end.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
K, NOISE, EPOCHS, BS = 5, 0.4, 6, 128
centers = torch.randn(K, 10) * 1.5


def make(n, noise=0.0):
    y = torch.randint(0, K, (n,))
    x = centers[y] + torch.randn(n, 10)
    flip = torch.rand(n) < noise
    y_obs = torch.where(flip, (y + torch.randint(1, K, (n,))) % K, y)
    return x, y_obs, y


def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, K))


def forget_schedule(epochs, steps_per_epoch, final, ramp_epochs=3):
    for e in range(epochs):
        rate = final * min(1.0, e / ramp_epochs)
        for _ in range(steps_per_epoch):
            yield e, rate


x_tr, y_noisy, y_clean_tr = make(4000, NOISE)
x_te, _, y_te = make(2000)
net1, net2 = mlp(1), mlp(2)
opt1 = torch.optim.Adam(net1.parameters(), lr=1e-3)
opt2 = torch.optim.Adam(net2.parameters(), lr=1e-3)


@torch.no_grad()
def acc(net):
    return (net(x_te).argmax(1) == y_te).float().mean().item()


print(f"chance 0.2; train labels wrong: {(y_noisy != y_clean_tr).float().mean():.2f}; "
      f"start acc net1 {acc(net1):.3f} net2 {acc(net2):.3f}")
steps = len(x_tr) // BS
perm = torch.randperm(len(x_tr))
for step, (epoch, rate) in enumerate(forget_schedule(EPOCHS, steps, NOISE)):
    if step % steps == 0:
        perm = torch.randperm(len(x_tr))
    idx = perm[(step % steps) * BS:(step % steps + 1) * BS]
    xb, yb = x_tr[idx], y_noisy[idx]
    loss1 = F.cross_entropy(net1(xb), yb, reduction="none")
    loss2 = F.cross_entropy(net2(xb), yb, reduction="none")
    keep = int((1 - rate) * len(idx))
    small1 = loss1.detach().argsort()[:keep]
    small2 = loss2.detach().argsort()[:keep]
    update1 = loss1[small2].mean()   # net1 learns from the samples net2 trusts
    update2 = loss2[small1].mean()
    opt1.zero_grad()
    update1.backward()
    opt1.step()
    opt2.zero_grad()
    update2.backward()
    opt2.step()
    if step % steps == steps - 1:
        print(f"epoch {epoch} forget rate {rate:.2f} loss {update1.item():.3f}/{update2.item():.3f} "
              f"acc {acc(net1):.3f}/{acc(net2):.3f}")
print(f"FINAL clean test acc net1 {acc(net1):.3f} net2 {acc(net2):.3f} (chance 0.2, {NOISE:.0%} noisy labels)")
