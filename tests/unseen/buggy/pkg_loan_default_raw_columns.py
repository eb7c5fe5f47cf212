"""Loan-default classifier; data and feature helpers live in tabular_lib.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from tabular_lib import load_applicants, standardize

torch.manual_seed(3)
X, y = load_applicants(1500, seed=1)
X_train, X_test = X[:1200], X[1200:]
y_train, y_test = y[:1200], y[1200:]

model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for epoch in range(15):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), 50):
        idx = perm[i:i + 50]
        loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

with torch.no_grad():
    acc = (model(X_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
