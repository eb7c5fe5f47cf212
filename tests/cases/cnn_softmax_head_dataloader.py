# A small CNN whose forward ends in softmax "so the outputs are probabilities", trained with
# CrossEntropyLoss through DataLoaders.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(31)
protos = torch.randn(3, 1, 12, 12)
labels = torch.randint(0, 3, (600,))
images = protos[labels] + 0.8 * torch.randn(600, 1, 12, 12)
train = DataLoader(TensorDataset(images[:500], labels[:500]), batch_size=25, shuffle=True)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(8 * 6 * 6, 3)

    def forward(self, x):
        logits = self.classifier(self.features(x).flatten(1))
        return torch.softmax(logits, dim=1)


model = SmallCNN()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    for xb, yb in train:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
