"""Dataclass config with a polynomial learning-rate decay over the epochs."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


@dataclass(frozen=True)
class Hyper:
    epochs: int = 12
    batch_size: int = 32
    lr: float = 3e-3
    decay_power: float = 2.0
    hidden: int = 64
    seed: int = 7


@dataclass
class TrainState:
    epoch: int = 0
    step: int = 0
    last_loss: float = float("nan")


def run(h: Hyper) -> float:
    torch.manual_seed(h.seed)
    X = torch.randn(1400, 10)
    y = (torch.tanh(X[:, :4] @ torch.randn(4, 5)) + 0.3 * X[:, 4:9]).argmax(1)
    train = DataLoader(TensorDataset(X[:1200], y[:1200]), batch_size=h.batch_size, shuffle=True)
    model = nn.Sequential(nn.Linear(10, h.hidden), nn.ReLU(), nn.Linear(h.hidden, h.hidden), nn.ReLU(),
                          nn.Linear(h.hidden, 5))
    opt = torch.optim.Adam(model.parameters(), lr=h.lr)
    sched = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=h.epochs, power=h.decay_power)
    state = TrainState()
    for state.epoch in range(h.epochs):
        for xb, yb in train:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            state.step += 1
            state.last_loss = loss.item()
        print(f"epoch {state.epoch} loss {state.last_loss:.4f} lr {sched.get_last_lr()[0]:.2e}")
    with torch.no_grad():
        return (model(X[1200:]).argmax(1) == y[1200:]).float().mean().item()


print(f"FINAL acc {run(Hyper()):.3f}")
