# CNN on synthetic shape images with test-time-free augmentation: the training Dataset exposes
# K randomly shifted, noisy views of every image (length N*K).
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

rng = np.random.default_rng(11)
torch.manual_seed(11)


def make_shapes(n):
    imgs = np.zeros((n, 1, 20, 20), np.float32)
    labels = rng.integers(0, 3, n)
    for i, c in enumerate(labels):
        cy, cx = rng.integers(6, 14, 2)
        if c == 0:
            imgs[i, 0, cy - 4:cy + 4, cx - 4:cx + 4] = 1.0          # filled square
        elif c == 1:
            imgs[i, 0, cy, cx - 5:cx + 5] = 1.0                     # cross
            imgs[i, 0, cy - 5:cy + 5, cx] = 1.0
        else:
            imgs[i, 0, cy - 4:cy + 4, cx - 4] = 1.0                 # open frame
            imgs[i, 0, cy - 4:cy + 4, cx + 3] = 1.0
            imgs[i, 0, cy - 4, cx - 4:cx + 4] = 1.0
            imgs[i, 0, cy + 3, cx - 4:cx + 4] = 1.0
    return torch.from_numpy(imgs), torch.from_numpy(labels)


class AugmentedShapes(Dataset):
    def __init__(self, x, y, k=1, noise=0.3):
        self.x, self.y, self.k, self.noise = x, y, k, noise
        self.n = len(x)

    def __len__(self):
        return self.n * self.k

    def __getitem__(self, idx):
        img = self.x[idx % self.n]
        if self.k > 1:
            img = torch.roll(img, shifts=tuple(torch.randint(-2, 3, (2,)).tolist()), dims=(1, 2))
        img = img + self.noise * torch.randn_like(img)
        return img, self.y[idx % self.n]


x_tr, y_tr = make_shapes(600)
x_va, y_va = make_shapes(300)
train_dl = DataLoader(AugmentedShapes(x_tr, y_tr, k=4), batch_size=64, shuffle=True)
val_dl = DataLoader(AugmentedShapes(x_va, y_va, k=1), batch_size=300)

model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                      nn.Flatten(), nn.Linear(16, 3))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(3):
    model.train()
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        xb, yb = next(iter(val_dl))
        acc = (model(xb).argmax(1) == yb).float().mean().item()
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
