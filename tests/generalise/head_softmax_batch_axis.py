"""Config dataclass + argparse; the head returns log-probabilities for NLLLoss."""
import argparse
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class Config:
    hidden: int = 64
    lr: float = 1e-2
    epochs: int = 15
    batch_size: int = 64


def build(cfg: Config) -> nn.Module:
    return nn.Sequential(nn.Linear(10, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, 5), nn.LogSoftmax(dim=0))


def main():
    parser = argparse.ArgumentParser()
    for name, value in vars(Config()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    cfg = Config(**{k.replace("-", "_"): v for k, v in vars(parser.parse_args()).items()})
    torch.manual_seed(1)
    X = torch.randn(1280, 10)
    y = (X @ torch.randn(10, 5)).argmax(1)
    model = build(cfg)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr * 10, momentum=0.9)
    criterion = nn.NLLLoss()
    for epoch in range(cfg.epochs):
        for i in range(0, 1024, cfg.batch_size):
            opt.zero_grad()
            loss = criterion(model(X[i:i + cfg.batch_size]), y[i:i + cfg.batch_size])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():  # predictions one request at a time, as in serving
        predicted = torch.cat([model(X[i:i + 1]).argmax(1) for i in range(1024, 1280)])
        acc = (predicted == y[1024:]).float().mean().item()
    print(f"FINAL acc {acc:.3f}")


if __name__ == "__main__":
    main()
