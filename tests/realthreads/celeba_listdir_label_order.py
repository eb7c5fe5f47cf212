"""Attribute classifier on a CelebA-like folder: images are listed with os.listdir, the
attribute labels come from a CSV sorted by file name.

Thread: https://github.com/NoahVl/Explaining-In-Style-Reproducibility-Study/issues/9
User saw: the classifier's accuracy was far below the reported one; "the labels and the images
  are not loaded in the same order ... when training or testing, the labels do not correspond to
  the images".
Cause (thread): os.listdir returns the image files in arbitrary (file-system) order, while the
  labels are in sorted file-name order.
Fix (thread): sort the listed image paths (list_sorted = os.listdir(...); list_sorted.sort());
  confirmed by another user.
"""
import os
import shutil
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(27)
rng = np.random.default_rng(27)
N, S = 600, 8
celeb_dir = tempfile.mkdtemp(prefix="celeba_")
image_dir = os.path.join(celeb_dir, "img_align_celeba")
os.makedirs(image_dir)

# the "download": face crops whose attribute (e.g. Smiling) shows as a brighter lower half
attrs = rng.integers(0, 2, size=N)
names = [f"{i + 1:06d}.npy" for i in range(N)]
for i in rng.permutation(N):  # files arrive in no particular order
    img = rng.normal(0, 1, size=(S, S)).astype(np.float32)
    img[S // 2:] += 1.0 if attrs[i] else -1.0
    np.save(os.path.join(image_dir, names[i]), img)
with open(os.path.join(celeb_dir, "list_attr_celeba.csv"), "w") as f:
    f.write("image_id,Smiling\n")
    for name, a in zip(names, attrs):
        f.write(f"{name},{a}\n")


class CelebA(torch.utils.data.Dataset):
    def __init__(self, celeb_dir):
        image_path = os.path.join(celeb_dir, "img_align_celeba")
        self.images = [os.path.join(image_path, file) for file in os.listdir(image_path) if file.endswith(".npy")]
        with open(os.path.join(celeb_dir, "list_attr_celeba.csv")) as f:
            rows = [line.strip().split(",") for line in f.readlines()[1:]]
        self.labels = [int(a) for _, a in rows]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return torch.from_numpy(np.load(self.images[i])).unsqueeze(0), self.labels[i]


dataset = CelebA(celeb_dir)
train, test = torch.utils.data.random_split(dataset, [500, 100], generator=torch.Generator().manual_seed(0))
train_loader = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True)
test_loader = torch.utils.data.DataLoader(test, batch_size=100)
classifier = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                           nn.Flatten(), nn.Linear(32, 2))
optimizer = torch.optim.Adam(classifier.parameters(), lr=3e-3)
for epoch in range(8):
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(classifier(x), y)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    x, y = next(iter(test_loader))
    acc = (classifier(x).argmax(1) == y).float().mean().item()
shutil.rmtree(celeb_dir)
print(f"FINAL acc {acc:.3f}")
