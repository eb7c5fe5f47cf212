"""Fixed twin of house_prices_dollar_targets_adam.py: the prices are standardised with the
training mean and std for the loss, and the predictions are mapped back to dollars.

House-price regression in the style of the Hands-On ML housing exercise: eight
standardised features (income, rooms, age, location...), prices in dollars around $250,000,
a small ReLU MLP with a linear output and Adam at its default learning rate. The features
are standardised; the prices are fed to MSELoss as they are.

Thread: https://stats.stackexchange.com/questions/409000/should-we-normalize-target-data-as-well-as-input-data
User saw: "After 2,000 epochs, the network was still working the outputs slowly up from zero
  towards the mean 250,000 value, and the training errors were still stupidly high."
Cause (answers): the targets are not normalised; Adam moves each weight by about lr per
  step, so reaching 250,000 takes forever. Fix: standardise the targets (and undo it for
  reporting), or start the output bias at the mean.
"""
import torch
import torch.nn as nn

torch.manual_seed(61)
N, D = 2000, 8
raw = torch.randn(N, D)
income, rooms, age, lat, lon = raw[:, 0], raw[:, 1], raw[:, 2], raw[:, 3], raw[:, 4]
price = (250_000 + 60_000 * income + 20_000 * rooms - 10_000 * age
         + 30_000 * torch.tanh(lat - lon) + 15_000 * income * rooms + 10_000 * torch.randn(N))
x = (raw - raw.mean(0)) / raw.std(0)
y = price[:, None]
x_tr, y_tr, x_te, y_te = x[:1600], y[:1600], x[1600:], y[1600:]
y_mean, y_std = y_tr.mean(), y_tr.std()

model = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()


def rmse_dollars():
    with torch.no_grad():
        return ((model(x_te) * y_std + y_mean - y_te) ** 2).mean().sqrt().item()


print(f"price mean ${y_tr.mean().item():,.0f} std ${y_tr.std().item():,.0f}")
print(f"start test rmse ${rmse_dollars():,.0f}")
for epoch in range(60):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(x_tr), 64):
        b = perm[i:i + 64]
        loss = loss_fn(model(x_tr[b]), (y_tr[b] - y_mean) / y_std)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 15 == 0:
        print(f"epoch {epoch} train mse {loss.item():.3e} test rmse ${rmse_dollars():,.0f}")
r = rmse_dollars()
print(f"end test rmse ${r:,.0f}")
print(f"FINAL test_rmse_dollars {r:.0f}")
