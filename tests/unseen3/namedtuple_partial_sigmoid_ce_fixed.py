"""Land-cover classification of pixel spectra, written as a functional pipeline: batches are
typing.NamedTuple records, steps are configured with functools.partial. The head returns
logits for nn.CrossEntropyLoss."""
import functools
from typing import NamedTuple

import torch
import torch.nn as nn


class Batch(NamedTuple):
    spectra: torch.Tensor
    cover: torch.Tensor


def make_pixels(n, bands=10, classes=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    signatures = torch.rand(classes, bands, generator=g) * 2 - 1
    cover = torch.randint(0, classes, (n,), generator=g)
    spectra = signatures[cover] + 0.35 * torch.randn(n, bands, generator=g)
    return spectra, cover


def batches(spectra, cover, size, gen):
    order = torch.randperm(len(cover), generator=gen)
    for s in range(0, len(order), size):
        i = order[s:s + size]
        yield Batch(spectra[i], cover[i])


def build_head(bands, hidden, classes):
    return nn.Sequential(nn.Linear(bands, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, classes))


def step(batch, *, model, criterion, optimizer):
    optimizer.zero_grad()
    loss = criterion(model(batch.spectra), batch.cover)
    loss.backward()
    optimizer.step()
    return loss.item()


def accuracy(model, spectra, cover):
    with torch.no_grad():
        return (model(spectra).argmax(1) == cover).float().mean().item()


torch.manual_seed(0)
spectra, cover = make_pixels(3000)
model = build_head(10, 64, 6)
train_step = functools.partial(step, model=model, criterion=nn.CrossEntropyLoss(),
                               optimizer=torch.optim.Adam(model.parameters(), lr=3e-3))
gen = torch.Generator().manual_seed(1)
for epoch in range(6):
    losses = list(map(train_step, batches(spectra[:2400], cover[:2400], 64, gen)))
    print(f"epoch {epoch} loss {sum(losses) / len(losses):.3f} val_acc {accuracy(model, spectra[2400:], cover[2400:]):.3f}")
print(f"FINAL loss {sum(losses) / len(losses):.3f}")
