"""MADE: a masked autoencoder for distribution estimation over 20 binary variables; masked
linear layers multiply their weight by a registered mask buffer built from degree
assignments, and the negative log-likelihood is BCE-with-logits summed over variables."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)
D, H = 20, 128
# data: a Markov chain over bits (each bit copies the previous one with prob 0.9)
N = 4000
x = torch.zeros(N, D)
x[:, 0] = (torch.rand(N) < 0.5).float()
for j in range(1, D):
    flip = (torch.rand(N) < 0.1).float()
    x[:, j] = x[:, j - 1] * (1 - flip) + (1 - x[:, j - 1]) * flip
xtr, xte = x[:3200], x[3200:]


class MaskedLinear(nn.Linear):
    def __init__(self, i, o, mask):
        super().__init__(i, o)
        self.register_buffer("mask", mask)

    def forward(self, inp):
        return F.linear(inp, self.weight * self.mask, self.bias)


deg_in = torch.arange(1, D + 1)
deg_h1 = torch.randint(1, D, (H,))
deg_h2 = torch.randint(1, D, (H,))
m1 = (deg_h1[:, None] >= deg_in[None, :]).float()
m2 = (deg_h2[:, None] >= deg_h1[None, :]).float()
m3 = (deg_in[:, None] > deg_h2[None, :]).float()
made = nn.Sequential(MaskedLinear(D, H, m1), nn.ReLU(), MaskedLinear(H, H, m2), nn.ReLU(), MaskedLinear(H, D, m3))
opt = torch.optim.Adam(made.parameters(), lr=1e-3)


def nll(batch):
    return F.binary_cross_entropy_with_logits(made(batch), batch, reduction="none").sum(1).mean()


for epoch in range(15):
    perm = torch.randperm(len(xtr))
    for i in range(0, len(xtr), 100):
        loss = nll(xtr[perm[i:i + 100]])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and i == 0:
            print(f"start nll {loss.item():.3f} nats")
    print(f"epoch {epoch} train nll {loss.item():.3f}")
true_entropy = -(0.5 * torch.log(torch.tensor(0.5)) * 2) - (D - 1) * (0.9 * torch.log(torch.tensor(0.9)) + 0.1 * torch.log(torch.tensor(0.1)))
with torch.no_grad():
    test = nll(xte).item()
print(f"FINAL test_nll {test:.3f} (true entropy {true_entropy.item():.3f}, uniform {D * 0.6931:.3f})")
