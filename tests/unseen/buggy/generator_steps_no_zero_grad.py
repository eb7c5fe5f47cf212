"""Training as a coroutine: the loop sends batches in, the coroutine sends losses back."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def sgd_coroutine(model, optimizer, loss_fn):
    """Prime with next(); then .send((x, y)) returns the batch loss."""
    loss = None
    while True:
        batch = yield loss
        if batch is None:
            return
        x, y = batch
        out = loss_fn(model(x), y)
        out.backward()
        optimizer.step()
        loss = out.item()


def loader(X, y, batch_size, gen):
    perm = torch.randperm(len(X), generator=gen)
    for i in range(0, len(X), batch_size):
        idx = perm[i:i + batch_size]
        yield X[idx], y[idx]


gen = torch.Generator().manual_seed(23)
X = torch.randn(1400, 8, generator=gen)
y = (X[:, 0] * X[:, 1] + torch.sin(X[:, 2] * 2) + 0.3 * X[:, 3:].sum(1)).unsqueeze(1)
torch.manual_seed(23)
model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)

trainer = sgd_coroutine(model, optimizer, F.mse_loss)
next(trainer)
for epoch in range(12):
    losses = [trainer.send(batch) for batch in loader(X[:1200], y[:1200], 32, gen)]
    print(f"epoch {epoch} loss {sum(losses) / len(losses):.4f}")
trainer.close()

with torch.no_grad():
    print(f"FINAL mse {F.mse_loss(model(X[1200:]), y[1200:]).item():.4f}")
