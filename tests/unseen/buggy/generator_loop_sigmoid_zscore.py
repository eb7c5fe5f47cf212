"""Generator pipeline: one generator yields minibatches, another consumes them and yields losses."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def minibatches(X, y, batch_size, epochs, seed):
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), batch_size):
            idx = perm[i:i + batch_size]
            yield epoch, X[idx], y[idx]


def training(model, opt, stream):
    model.train()
    for epoch, xb, yb in stream:
        loss = F.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        yield epoch, loss.item()


def every_epoch(losses):
    current, acc = None, []
    for epoch, value in losses:
        if current is not None and epoch != current:
            yield current, sum(acc) / len(acc)
            acc = []
        current = epoch
        acc.append(value)
    yield current, sum(acc) / len(acc)


torch.manual_seed(6)
# daily demand from calendar and weather features
X = torch.randn(1400, 6)
demand = 120 + 35 * X[:, 0] - 20 * X[:, 1] + 15 * torch.sin(3 * X[:, 2]) + 10 * X[:, 3] * X[:, 4]
demand = demand + 5 * torch.randn(1400)
y = ((demand - demand.mean()) / demand.std()).unsqueeze(1)  # normalised targets

model = nn.Sequential(
    nn.Linear(6, 64), nn.ReLU(),
    nn.Linear(64, 64), nn.ReLU(),
    nn.Linear(64, 1), nn.Sigmoid(),  # keep predictions in the normalised range
)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch, mean_loss in every_epoch(training(model, opt, minibatches(X[:1200], y[:1200], 32, 10, seed=0))):
    print(f"epoch {epoch} loss {mean_loss:.4f}")

model.eval()
with torch.no_grad():
    mse = F.mse_loss(model(X[1200:]), y[1200:]).item()
print(f"FINAL mse {mse:.4f}")
