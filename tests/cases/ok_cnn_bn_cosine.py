# CNN with batch-norm, train/eval switching, validation under no_grad and a per-batch
# cosine schedule sized in batches: healthy.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(39)
protos = torch.randn(5, 3, 10, 10)
labels = torch.randint(0, 5, (700,))
images = protos[labels] + torch.randn(700, 3, 10, 10)
train = DataLoader(TensorDataset(images[:600], labels[:600]), batch_size=40, shuffle=True)
val = DataLoader(TensorDataset(images[600:], labels[600:]), batch_size=50)
model = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(12, 24, 3, padding=1), nn.BatchNorm2d(24), nn.ReLU(),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, 5))
epochs = 4
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * len(train))
for epoch in range(epochs):
    model.train()
    for xb, yb in train:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in val)
    print(epoch, loss.item(), correct / 100)
