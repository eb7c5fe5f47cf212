# Heteroscedastic regression: the network predicts a mean and a variance (softplus) and is
# trained with nn.GaussianNLLLoss; the noise level of the data grows with |x|. Measured:
# on held-out points, the squared error of the predicted mean against the true mean plus the
# squared error of the predicted standard deviation against the true one.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(18)
x = torch.linspace(-3, 3, 600).unsqueeze(1)
noise_sd = 0.05 + 0.3 * x.abs()
y = torch.sin(x) + noise_sd * torch.randn_like(x)
perm = torch.randperm(600)
tr, te = perm[:480], perm[480:]


class MeanVar(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
        self.mu = nn.Linear(64, 1)
        self.raw_var = nn.Linear(64, 1)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), F.softplus(self.raw_var(h)) + 1e-4


model = MeanVar()
nll = nn.GaussianNLLLoss(full=True)
opt = torch.optim.Adam(model.parameters(), lr=5e-3)


def test_error():
    with torch.no_grad():
        mu, var = model(x[te])
        print(f"held-out NLL {nll(mu, y[te], var).item():.4f}")
        return (F.mse_loss(mu, torch.sin(x[te])) + F.mse_loss(var.sqrt(), noise_sd[te])).item()


first = test_error()
for epoch in range(60):
    for b in tr[torch.randperm(480)].split(60):
        mu, var = model(x[b])
        loss = nll(mu, y[b], var)
        opt.zero_grad()
        loss.backward()
        opt.step()
final = test_error()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
