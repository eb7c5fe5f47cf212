"""Traffic-light colour classifier; channels-last NumPy images ([N, H, W, 3]) are converted
for the CNN with permute(0, 3, 1, 2)."""
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(34)
torch.manual_seed(34)
S = 12


def make(n):
    imgs = rng.uniform(0, 0.4, size=(n, S, S, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=n)
    for i in range(n):
        r, c = rng.integers(0, S - 3, size=2)
        imgs[i, r:r + 3, c:c + 3, labels[i]] = 1.0
    return imgs, labels


def to_tensor(imgs):
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous()


train_imgs, train_labels = make(1000)
test_imgs, test_labels = make(300)
x_train, y_train = to_tensor(train_imgs), torch.from_numpy(train_labels)
x_test, y_test = to_tensor(test_imgs), torch.from_numpy(test_labels)
model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
    nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(32, 3),
)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(5):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
