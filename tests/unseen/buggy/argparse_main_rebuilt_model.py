"""A command-line training script: argparse defaults, main(), a classifier head sized for the dataset."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, in_dim, hidden=64, num_classes=10):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc(self.body(x))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--num-classes", type=int, default=6)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=17)
    return ap.parse_args(argv)


def make_data(n, num_classes, seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 24, generator=g)
    proto = torch.randn(num_classes, 24, generator=g)
    y = (X @ proto.T + 0.5 * torch.randn(n, num_classes, generator=g)).argmax(1)
    return X, y


def evaluate(model, X, y):
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def setup(args):
    model = Net(24, args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    return model, optimizer


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    model, optimizer = setup(args)
    X, y = make_data(1600, args.num_classes, args.seed)
    num_classes = int(y.max()) + 1
    if model.fc.out_features != num_classes:
        model = Net(X.shape[1], args.hidden, num_classes)  # rebuild with the dataset's number of classes

    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(1280)
        for i in range(0, 1280, args.batch_size):
            idx = perm[i:i + args.batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    print(f"FINAL acc {evaluate(model, X[1280:], y[1280:]):.3f}")


if __name__ == "__main__":
    main()
