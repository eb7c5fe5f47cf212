"""Training script; the model lives in split_model_net.py."""
import torch
import torch.nn as nn

from split_model_net import ConvNet

torch.manual_seed(8)
n = 480
labels = torch.randint(0, 4, (n,))
images = torch.randn(n, 1, 12, 12) * 0.6
for c in range(4):  # each class lights up one quadrant
    r, q = divmod(c, 2)
    images[labels == c, :, r * 6:(r + 1) * 6, q * 6:(q + 1) * 6] += 0.5
model = ConvNet()
criterion = nn.CrossEntropyLoss()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(4):
    for i in range(0, 384, 32):
        opt.zero_grad()
        loss = criterion(model(images[i:i + 32]), labels[i:i + 32])
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (model(images[384:]).argmax(1) == labels[384:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
