"""Hyper-parameters in a JSON blob (copied from the team's fine-tuning recipe); a CNN trained from scratch."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

HPARAMS = json.loads("""
{
  "model": {"channels": [8, 16], "num_classes": 4},
  "optimizer": {"name": "AdamW", "lr": 2e-6, "weight_decay": 0.01},
  "data": {"n_train": 800, "n_val": 200, "batch_size": 32},
  "epochs": 6,
  "seed": 5
}
""")


def make_images(n, gen):
    """4 classes of 12x12 images: a bright bar in one of four orientations/positions, plus noise."""
    y = torch.randint(0, 4, (n,), generator=gen)
    x = 0.5 * torch.randn(n, 1, 12, 12, generator=gen)
    for i, c in enumerate(y.tolist()):
        if c == 0:
            x[i, 0, 3:5, :] += 1.5
        elif c == 1:
            x[i, 0, :, 3:5] += 1.5
        elif c == 2:
            x[i, 0, 8:10, :] += 1.5
        else:
            x[i, 0, :, 8:10] += 1.5
    return x, y


class SmallCNN(nn.Module):
    def __init__(self, channels, num_classes):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2))
        self.classifier = nn.Linear(c2 * 4, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


hp = HPARAMS
gen = torch.Generator().manual_seed(hp["seed"])
torch.manual_seed(hp["seed"])
X, y = make_images(hp["data"]["n_train"] + hp["data"]["n_val"], gen)
n_tr, bs = hp["data"]["n_train"], hp["data"]["batch_size"]
model = SmallCNN(**hp["model"])
opt_cfg = dict(hp["optimizer"])
optimizer = getattr(torch.optim, opt_cfg.pop("name"))(model.parameters(), **opt_cfg)

for epoch in range(hp["epochs"]):
    perm = torch.randperm(n_tr, generator=gen)
    for i in range(0, n_tr, bs):
        idx = perm[i:i + bs]
        loss = F.cross_entropy(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

with torch.no_grad():
    acc = (model(X[n_tr:]).argmax(1) == y[n_tr:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
