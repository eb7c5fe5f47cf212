"""TensorDataset + random_split + DataLoader: the textbook loop, with a validation split."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(41)
X = torch.randn(1500, 12)
y = (X[:, :3].sum(1) > 0).long() + (X[:, 3] * X[:, 4] > 0).long()  # 3 classes
dataset = TensorDataset(X, y)
train_set, val_set = random_split(dataset, [1200, 300], generator=torch.Generator().manual_seed(0))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=100)

model = nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(8):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step
        running += loss.item() * len(xb)
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in val_loader:
            correct += (model(xb).argmax(1) == yb).sum().item()
    val_acc = correct / len(val_set)
    print(f"epoch {epoch} train_loss {running / len(train_set):.4f} val_acc {val_acc:.3f}")
print(f"FINAL val_acc {val_acc:.3f}")
