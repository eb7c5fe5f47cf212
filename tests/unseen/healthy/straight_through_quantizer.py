# An autoencoder with a quantised bottleneck: codes are rounded to integer levels in the
# forward pass and the gradient passes straight through (`z + (z.round() - z).detach()`),
# as in learned compression and quantisation-aware training.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(26)


class QuantAE(nn.Module):
    def __init__(self, d=16, code=4, levels=8):
        super().__init__()
        self.levels = levels
        self.enc = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, code))
        self.dec = nn.Sequential(nn.Linear(code, 64), nn.ReLU(), nn.Linear(64, d))

    def quantize(self, z):
        z = torch.sigmoid(z) * (self.levels - 1)       # in [0, levels-1]
        zq = z + (z.round() - z).detach()              # straight-through estimator
        return zq / (self.levels - 1)

    def forward(self, x):
        return self.dec(self.quantize(self.enc(x)))


# data on a 3-d manifold embedded in 16 dims
latent = torch.rand(1500, 3) * 2 - 1
mix = torch.randn(3, 16)
X = torch.tanh(latent @ mix) + 0.02 * torch.randn(1500, 16)

model = QuantAE()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


def test_mse():
    with torch.no_grad():
        return F.mse_loss(model(X[1200:]), X[1200:]).item()


first = test_mse()
for epoch in range(15):
    for b in torch.randperm(1200).split(64):
        loss = F.mse_loss(model(X[b]), X[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
final = test_mse()
with torch.no_grad():
    codes = model.quantize(model.enc(X[:5])) * (model.levels - 1)
print("codes", codes.tolist())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
