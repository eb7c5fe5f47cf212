# Multi-class classifier over a list of JSON-like records (as read from a labelling tool).
# A Dataset class maps class names to ids and stacks the feature vectors.
import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

random.seed(2)
np.random.seed(2)
torch.manual_seed(2)

CLASSES = ["bird", "cat", "dog", "fish"]
centers = np.random.randn(len(CLASSES), 16) * 2.0


def load_records(n):
    out = []
    for i in range(n):
        c = random.randrange(len(CLASSES))
        feats = centers[c] + np.random.randn(16)
        out.append({"id": f"rec-{i:05d}", "features": feats.round(4).tolist(), "label": CLASSES[c]})
    return out


class RecordDataset(Dataset):
    def __init__(self, records, classes):
        self.cls_to_idx = {c: i for i, c in enumerate(classes)}
        self.inputs = torch.tensor([r["features"] for r in records], dtype=torch.float32)
        self.targets = torch.tensor([self.cls_to_idx[r["label"]] for r in records])

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, idx):
        return self.inputs[idx], self.targets[idx]


train_ds = RecordDataset(load_records(1600), CLASSES)
val_ds = RecordDataset(load_records(400), CLASSES)
train_dl = DataLoader(train_ds, batch_size=32, shuffle=True)
val_dl = DataLoader(val_ds, batch_size=200)

model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, len(CLASSES)))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for epoch in range(4):
    model.train()
    for x, y in train_dl:
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in val_dl:
            correct += (model(x).argmax(1) == y).sum().item()
    acc = correct / len(val_ds)
    print(f"epoch {epoch} loss={loss.item():.3f} val_acc={acc:.3f}")
print(f"final val_acc={acc:.3f}")
