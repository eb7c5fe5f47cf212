"""Regression script with argparse; the default learning rate came from an SGD recipe."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--seed", type=int, default=2)
    return p.parse_args()


def build_model(width):
    return nn.Sequential(nn.Linear(6, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 1))


def main():
    args = get_args()
    torch.manual_seed(args.seed)
    X = torch.randn(1300, 6)
    y = (X[:, 0] ** 2 - X[:, 1] + torch.sin(2 * X[:, 2]) * X[:, 3]).unsqueeze(1)
    X_tr, y_tr, X_va, y_va = X[:1100], y[:1100], X[1100:], y[1100:]
    model = build_model(args.width)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        perm = torch.randperm(len(X_tr))
        for i in range(0, len(X_tr), args.batch_size):
            idx = perm[i:i + args.batch_size]
            loss = F.mse_loss(model(X_tr[idx]), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            val = F.mse_loss(model(X_va), y_va).item()
        print(f"epoch {epoch} val_mse {val:.4f}")
    print(f"FINAL mse {val:.4f}")


if __name__ == "__main__":
    main()
