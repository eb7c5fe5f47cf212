# Small CNN on synthetic 16x16 texture images (4 classes). A "can it memorise noise?" sanity
# check from debugging is still in place.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(20)
rng = np.random.default_rng(20)


def textures(n):
    labels = rng.integers(0, 4, n)
    yy, xx = np.mgrid[0:16, 0:16]
    freq = np.array([0.4, 0.9, 1.4, 2.0])[labels]
    phase = rng.uniform(0, 6.28, n)
    imgs = np.sin(freq[:, None, None] * xx[None] + phase[:, None, None]) + rng.normal(0, 0.5, (n, 16, 16))
    return torch.tensor(imgs[:, None], dtype=torch.float32), torch.tensor(labels)


x_train, y_train = textures(1200)
x_val, y_val = textures(300)

# sanity check: with random labels the model should not beat chance on validation
y_train = torch.randint(0, 4, y_train.shape)

loader = DataLoader(TensorDataset(x_train, y_train), batch_size=48, shuffle=True)
net = nn.Sequential(nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(12, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                    nn.Flatten(), nn.Linear(64, 4))
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
for epoch in range(5):
    net.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(xb), yb)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        acc = (net(x_val).argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
