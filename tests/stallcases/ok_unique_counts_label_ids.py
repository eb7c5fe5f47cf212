# Small CNN on synthetic 16x16 "stroke" images whose labels arrive as strings.
# Class ids and per-class counts (for a weighted loss) come from np.unique.
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(3)
torch.manual_seed(3)

NAMES = np.array(["diagonal", "horizontal", "vertical"])


def render(kind):
    img = rng.normal(0, 0.3, (16, 16)).astype(np.float32)
    r = rng.integers(3, 13)
    if kind == "horizontal":
        img[r, 2:14] += 1.0
    elif kind == "vertical":
        img[2:14, r] += 1.0
    else:
        k = np.arange(2, 14)
        img[k, k] += 1.0
    return img


label_names = NAMES[rng.choice(3, size=1500, p=[0.2, 0.35, 0.45])]
images = np.stack([render(k) for k in label_names])[:, None]

classes, y = np.unique(label_names, return_inverse=True)
counts = np.bincount(y)
weights = torch.tensor(len(y) / (len(classes) * counts), dtype=torch.float32)

X = torch.from_numpy(images)
Y = torch.from_numpy(y).long()
X_train, Y_train, X_val, Y_val = X[:1200], Y[:1200], X[1200:], Y[1200:]


class StrokeNet(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(16 * 4 * 4, n_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


net = StrokeNet(len(classes))
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
loss_fn = nn.CrossEntropyLoss(weight=weights)

for epoch in range(6):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(perm), 64):
        b = perm[i:i + 64]
        loss = loss_fn(net(X_train[b]), Y_train[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        acc = (net(X_val).argmax(1) == Y_val).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.3f} val_acc {acc:.3f}")
print(f"final val_acc={acc:.3f}")
