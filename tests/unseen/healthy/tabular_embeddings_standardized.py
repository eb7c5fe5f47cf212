# A tabular regression model in the style of entity embeddings: two categorical columns
# with many levels (integer codes up to a few hundred) go through nn.Embedding, the skewed
# numeric columns are log-transformed and standardised with training-set statistics, and
# the target (a price) is standardised too and predictions are mapped back for the metric.
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class Table:
    store: torch.Tensor   # int64 codes 0..299
    item: torch.Tensor    # int64 codes 0..49
    numeric: torch.Tensor  # [N, 3] raw, heavy tailed
    price: torch.Tensor   # [N]


def make_table(n, g):
    store = torch.randint(0, 300, (n,), generator=g)
    item = torch.randint(0, 50, (n,), generator=g)
    numeric = torch.stack([torch.rand(n, generator=g) * 1e4,           # square metres
                           torch.randn(n, generator=g).exp() * 50,     # visitors
                           torch.rand(n, generator=g) * 30], 1)       # days open
    store_effect = torch.sin(torch.arange(300.0))[store]
    item_effect = torch.linspace(-1, 1, 50)[item]
    price = 200 + 40 * (store_effect + 2 * item_effect + 0.5 * numeric[:, 1].log1p() / 4
                        + 0.3 * (numeric[:, 0] / 1e4)) + 5 * torch.randn(n, generator=g)
    return Table(store, item, numeric, price)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.store = nn.Embedding(300, 8)
        self.item = nn.Embedding(50, 4)
        self.mlp = nn.Sequential(nn.Linear(8 + 4 + 3, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, store, item, num):
        return self.mlp(torch.cat([self.store(store), self.item(item), num], 1)).squeeze(1)


torch.manual_seed(39)
g = torch.Generator().manual_seed(39)
train, test = make_table(3000, g), make_table(500, g)
log_num = train.numeric.log1p()
num_mean, num_std = log_num.mean(0), log_num.std(0)
y_mean, y_std = train.price.mean(), train.price.std()


def features(t):
    return (t.numeric.log1p() - num_mean) / num_std


model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)


def test_rmse():
    with torch.no_grad():
        pred = model(test.store, test.item, features(test)) * y_std + y_mean
        return (pred - test.price).pow(2).mean().sqrt().item()


first = test_rmse()
xnum, ynorm = features(train), (train.price - y_mean) / y_std
for epoch in range(6):
    for b in torch.randperm(3000).split(128):
        loss = nn.functional.mse_loss(model(train.store[b], train.item[b], xnum[b]), ynorm[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
final = test_rmse()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
