# The epoch loop switches to eval() "to log accuracy" and never switches back.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(37)
protos = torch.randn(4, 3, 8, 8)
labels = torch.randint(0, 4, (640,))
images = protos[labels] + torch.randn(640, 3, 8, 8)
loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(16, 4))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
model.train()
for epoch in range(4):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(images).argmax(1) == labels).float().mean().item()
    print(epoch, loss.item(), acc)
