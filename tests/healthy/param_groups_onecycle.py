"""Fine-tuning recipe: separate param groups (no weight decay on biases and norms, a
smaller lr for the backbone) and OneCycleLR stepped every batch."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16),
                                      nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.backbone(x))


def param_groups(model, wd=1e-2):
    decay, no_decay, head = [], [], []
    for name, p in model.named_parameters():
        if name.startswith("head"):
            head.append(p)
        elif p.ndim <= 1:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": wd, "lr": 3e-3},
            {"params": no_decay, "weight_decay": 0.0, "lr": 3e-3},
            {"params": head, "weight_decay": wd, "lr": 1e-2}]


# four classes: a bright blob in one of the four quadrants
imgs = torch.randn(384, 1, 12, 12) * 0.5
labels = torch.randint(0, 4, (384,))
for i, c in enumerate(labels.tolist()):
    r, col = divmod(c, 2)
    imgs[i, 0, r * 6:r * 6 + 6, col * 6:col * 6 + 6] += 1.5

model = Classifier()
opt = torch.optim.AdamW(param_groups(model))
EPOCHS, BS = 6, 32
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[3e-3, 3e-3, 1e-2], epochs=EPOCHS,
                                            steps_per_epoch=len(imgs) // BS)
losses = []
for epoch in range(EPOCHS):
    model.train()
    for xb, yb in zip(imgs.split(BS), labels.split(BS)):
        loss = F.cross_entropy(model(xb), yb, label_smoothing=0.05)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(checksum))
