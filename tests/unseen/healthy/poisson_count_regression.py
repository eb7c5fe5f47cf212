# Poisson regression of event counts with nn.PoissonNLLLoss(log_input=True): the network
# outputs the log-rate; counts come from a rate that depends on exposure and two features.
# Measured: the mean Poisson deviance on held-out rows.
import torch
import torch.nn as nn

torch.manual_seed(19)
N = 800
feats = torch.randn(N, 3)
log_exposure = torch.rand(N, 1).log1p()
true_log_rate = 0.8 * feats[:, :1] - 0.5 * feats[:, 1:2] ** 2 + 0.3 * feats[:, 2:3] + 1.0 + log_exposure
counts = torch.poisson(true_log_rate.exp())
inputs = torch.cat([feats, log_exposure], 1)

model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
loss_fn = nn.PoissonNLLLoss(log_input=True, full=False)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)


def deviance():
    with torch.no_grad():
        mu = model(inputs[640:]).exp()
        yv = counts[640:]
        return (2 * (torch.xlogy(yv, yv / mu) - (yv - mu))).mean().item()


first = deviance()
for epoch in range(40):
    for b in torch.randperm(640).split(64):
        loss = loss_fn(model(inputs[b]), counts[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
final = deviance()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
