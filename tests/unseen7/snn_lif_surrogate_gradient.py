"""Spiking neural network trained with surrogate gradients (Neftci, Mostafa & Zenke 2019).

Inputs are rate-coded: each of 16 analogue features becomes a Bernoulli spike train over
T = 16 time steps. Two layers of leaky integrate-and-fire neurons (membrane decay beta,
soft reset by subtraction) are unrolled in time; the spike non-linearity is a custom
autograd.Function whose forward is the Heaviside step and whose backward is the
fast-sigmoid surrogate 1 / (1 + k|v|)^2. The readout is the spike count of 3 output
neurons, fed to cross-entropy (counts scaled by 0.5 as logits).
Metric: test accuracy of the spike-count classifier (chance 1/3).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(12)
T, BETA, THRESH = 16, 0.85, 1.0


class SpikeFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v > 0).float()

    @staticmethod
    def backward(ctx, grad_out):
        (v,) = ctx.saved_tensors
        return grad_out / (1.0 + 10.0 * v.abs()) ** 2


spike = SpikeFn.apply


class LIFNet(nn.Module):
    def __init__(self, n_in=16, n_hidden=64, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, spikes_in):  # [T, B, n_in]
        B = spikes_in.shape[1]
        v1 = torch.zeros(B, self.fc1.out_features)
        v2 = torch.zeros(B, self.fc2.out_features)
        counts = torch.zeros(B, self.fc2.out_features)
        for t in range(spikes_in.shape[0]):
            v1 = BETA * v1 + self.fc1(spikes_in[t])
            s1 = spike(v1 - THRESH)
            v1 = v1 - s1 * THRESH
            v2 = BETA * v2 + self.fc2(s1)
            s2 = spike(v2 - THRESH)
            v2 = v2 - s2 * THRESH
            counts = counts + s2
        return counts


base_rates = torch.rand(3, 16)


def make(n):
    y = torch.randint(0, 3, (n,))
    base = base_rates
    rates = (base[y] * 0.35 + 0.45 * torch.rand(n, 16)).clamp(0, 1)
    return rates, y


def encode(rates):
    return (torch.rand(T, *rates.shape) < rates).float()


x_tr, y_tr = make(2400)
x_te, y_te = make(600)
net = LIFNet()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)


@torch.no_grad()
def accuracy():
    return (net(encode(x_te)).argmax(1) == y_te).float().mean().item()


print(f"chance 0.333; start accuracy {accuracy():.3f}")
for epoch in range(4):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 64):
        idx = perm[i:i + 64]
        counts = net(encode(x_tr[idx]))
        loss = F.cross_entropy(0.5 * counts, y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.3f} mean output spikes {counts.mean().item():.2f} "
          f"test acc {accuracy():.3f}")
print(f"FINAL spike-count test accuracy {accuracy():.3f} (chance 0.333)")
