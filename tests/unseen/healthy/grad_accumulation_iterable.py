# Gradient accumulation over micro-batches streamed from an IterableDataset whose __iter__
# is a generator: the loss is divided by the number of accumulation steps, the optimizer
# steps and clears gradients every ACCUM micro-batches only.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, IterableDataset

ACCUM = 4


class Stream(IterableDataset):
    def __init__(self, n_batches, seed):
        self.n_batches, self.seed = n_batches, seed

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed)
        for _ in range(self.n_batches):
            x = torch.randn(16, 5, generator=g)
            y = (x[:, 0] * 2 - x[:, 1] + 0.5 * x[:, 2] * x[:, 3] > 0).long()
            yield x, y


torch.manual_seed(37)
model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loader = DataLoader(Stream(240, seed=1), batch_size=None)
xv, yv = next(iter(DataLoader(Stream(1, seed=99), batch_size=None)))


def val():
    with torch.no_grad():
        return F.cross_entropy(model(xv), yv).item()


first = val()
opt.zero_grad()
for i, (x, y) in enumerate(loader, start=1):
    loss = F.cross_entropy(model(x), y) / ACCUM
    loss.backward()
    if i % ACCUM == 0:
        opt.step()
        opt.zero_grad()
final = val()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
