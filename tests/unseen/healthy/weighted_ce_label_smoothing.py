# Class-weighted cross-entropy with label smoothing (nn.CrossEntropyLoss(weight=...,
# label_smoothing=0.1)) on an imbalanced 4-class problem read through a shuffled DataLoader;
# the evaluation uses the plain (unsmoothed, unweighted) loss.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(22)
props = torch.tensor([0.55, 0.25, 0.15, 0.05])
y = torch.multinomial(props, 1600, replacement=True)
proto = torch.randn(4, 12) * 1.5
X = proto[y] + torch.randn(1600, 12)
counts = torch.bincount(y[:1280], minlength=4).float()
weights = counts.sum() / (4 * counts)

loader = DataLoader(TensorDataset(X[:1280], y[:1280]), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(12, 48), nn.LayerNorm(48), nn.ReLU(), nn.Dropout(0.1), nn.Linear(48, 4))
criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=0.1)
opt = torch.optim.RMSprop(model.parameters(), lr=1e-3)


@torch.no_grad()
def evaluate():
    model.eval()
    loss = F.cross_entropy(model(X[1280:]), y[1280:]).item()
    model.train()
    return loss


first = evaluate()
for epoch in range(8):
    for xb, yb in loader:
        opt.zero_grad()
        criterion(model(xb), yb).backward()
        opt.step()
final = evaluate()
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
