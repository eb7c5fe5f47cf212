"""Trainer with callbacks (early stopping, checkpoint in memory); the model comes from netlib_ok.py."""
import copy

import torch
import torch.nn.functional as F

from netlib_ok import conv_classifier


class EarlyStopping:
    def __init__(self, patience=2):
        self.best, self.bad, self.patience, self.state = -1.0, 0, patience, None

    def __call__(self, model, score):
        if score > self.best:
            self.best, self.bad, self.state = score, 0, copy.deepcopy(model.state_dict())
        else:
            self.bad += 1
        return self.bad > self.patience


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train()
    return acc


torch.manual_seed(41)
n = 480
labels = torch.randint(0, 4, (n,))
images = torch.randn(n, 1, 12, 12) * 0.3
for c in range(4):
    r, q = divmod(c, 2)
    images[labels == c, :, r * 6:(r + 1) * 6, q * 6:(q + 1) * 6] += 1.0
model = conv_classifier()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
stopper = EarlyStopping()
for epoch in range(6):
    for i in range(0, 384, 32):
        opt.zero_grad()
        loss = F.cross_entropy(model(images[i:i + 32]), labels[i:i + 32])
        loss.backward()
        opt.step()
    if stopper(model, evaluate(model, images[384:], labels[384:])):
        break
model.load_state_dict(stopper.state)
print(f"FINAL acc {evaluate(model, images[384:], labels[384:]):.3f}")
