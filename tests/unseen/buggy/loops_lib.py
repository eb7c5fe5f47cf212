"""Small training helpers shared by the experiments in this folder."""
from contextlib import contextmanager

import torch
import torch.nn.functional as F


@contextmanager
def evaluating(model):
    """Temporarily put `model` in eval mode; restore its previous mode afterwards."""
    model.eval()
    was_training = model.training
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def accuracy(model, X, y, batch_size=256):
    with evaluating(model):
        correct = sum((model(X[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
                      for i in range(0, len(X), batch_size))
    return correct / len(X)


def fit(model, optimizer, X, y, X_val, y_val, epochs, batch_size=32, log=print):
    log(f"sanity check: val acc before training {accuracy(model, X_val, y_val):.3f}")
    for epoch in range(epochs):
        perm = torch.randperm(len(X))
        for i in range(0, len(X), batch_size):
            idx = perm[i:i + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        log(f"epoch {epoch} loss {loss.item():.4f} val acc {accuracy(model, X_val, y_val):.3f}")
    return model
