# An Elman RNN written by hand whose recurrent matrix is kept orthogonal with
# torch.nn.utils.parametrizations.orthogonal, trained on a delayed-recall task: output at
# the end the value seen a few steps before the end. The parametrized weight is computed once
# per forward with parametrize.cached(), as the PyTorch docs recommend for RNNs.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import orthogonal

torch.manual_seed(23)


class OrthoRNN(nn.Module):
    def __init__(self, n_in, hidden):
        super().__init__()
        self.inp = nn.Linear(n_in, hidden)
        self.rec = orthogonal(nn.Linear(hidden, hidden, bias=False))
        self.out = nn.Linear(hidden, 1)
        self.hidden = hidden

    def forward(self, x):  # x: [B, T, F]
        h = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            h = torch.tanh(self.inp(x[:, t]) + self.rec(h))
        return self.out(h)


def batch(bsz, T=12, lag=4):
    seq = torch.randn(bsz, T, 1)
    return seq, seq[:, T - 1 - lag]


model = OrthoRNN(1, 32)
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
xv, yv = batch(256)


def val():
    with torch.no_grad(), parametrize.cached():
        return F.mse_loss(model(xv), yv).item()


first = val()
for step in range(150):
    xb, yb = batch(64)
    with parametrize.cached():
        loss = F.mse_loss(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
final = val()
W = model.rec.weight
print("orthogonality error", (W @ W.T - torch.eye(32)).abs().max().item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
