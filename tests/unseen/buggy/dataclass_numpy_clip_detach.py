"""Dataclass configs for model and training; the encoder output is clipped with NumPy."""
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    in_features: int = 10
    hidden: int = 16
    clip: float = 3.0


@dataclass
class TrainConfig:
    epochs: int = 12
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 13


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class Regressor(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = nn.Sequential(nn.Linear(cfg.in_features, cfg.hidden), nn.Tanh(),
                                     nn.Linear(cfg.hidden, cfg.hidden), nn.Tanh())
        self.head = nn.Linear(cfg.hidden, 1)

    def forward(self, x):
        z = self.encoder(x)
        # guard against outlier activations (values outside +-clip)
        z = torch.from_numpy(np.clip(z.detach().numpy(), -self.cfg.clip, self.cfg.clip))
        return self.head(z)


def make_data(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = torch.sin(X[:, 0] * 2) * X[:, 1] + (X[:, 2] * X[:, 3]) + 0.5 * X[:, 4] ** 2 - 0.5
    return X, y.unsqueeze(1)


def train(cfg: Config):
    torch.manual_seed(cfg.train.seed)
    X, y = make_data(1500, cfg.model.in_features, cfg.train.seed)
    model = Regressor(cfg.model)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.train.lr)
    for epoch in range(cfg.train.epochs):
        perm = torch.randperm(1200)
        for i in range(0, 1200, cfg.train.batch_size):
            idx = perm[i:i + cfg.train.batch_size]
            loss = F.mse_loss(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return F.mse_loss(model(X[1200:]), y[1200:]).item()


print(f"FINAL mse {train(Config()):.4f}")
