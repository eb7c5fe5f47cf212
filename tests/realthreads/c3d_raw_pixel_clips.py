"""C3D action recognition trained from scratch on video clips whose pixels stay in 0..255.

Thread: https://github.com/jfzhang95/pytorch-video-recognition/issues/32
User saw: training C3D from scratch gives 30% accuracy with lr=1e-5 and below 1% with lr=1e-3.
Cause (thread): the input clips are not normalised.
Fix (thread): "The performance can simply be improved by standardizing the input: normalize the
  input into [0, 1] by x/255; standardize using mean [0.485, 0.456, 0.406] and std
  [0.229, 0.224, 0.225]" (accuracy went to about 50%).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(24)
rng = np.random.default_rng(24)
N_CLASSES, FRAMES, S = 4, 8, 16


def load_clip(label):
    # a bright square moving in one of four directions over a textured background (uint8 frames)
    buffer = rng.integers(60, 140, size=(FRAMES, S, S, 3)).astype(np.float32)
    dy, dx = [(0, 1), (0, -1), (1, 0), (-1, 0)][label]
    y, x = rng.integers(5, S - 5, size=2)
    for t in range(FRAMES):
        yy, xx = y + dy * (t // 2), x + dx * (t // 2)
        buffer[t, yy - 1:yy + 2, xx - 1:xx + 2] = [230, 200, 40]
    return buffer


class VideoDataset(torch.utils.data.Dataset):
    def __init__(self, n):
        self.labels = rng.integers(0, N_CLASSES, size=n)
        self.clips = [load_clip(int(k)) for k in self.labels]

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        buffer = self.clips[index]
        buffer = buffer.transpose((3, 0, 1, 2))  # C x T x H x W
        return torch.from_numpy(np.ascontiguousarray(buffer)), int(self.labels[index])


class C3D(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(3, 16, kernel_size=3, padding=1)
        self.pool1 = nn.MaxPool3d((1, 2, 2))
        self.conv2 = nn.Conv3d(16, 32, kernel_size=3, padding=1)
        self.pool2 = nn.MaxPool3d(2)
        self.fc6 = nn.Linear(32 * 4 * 4 * 4, 128)
        self.fc8 = nn.Linear(128, N_CLASSES)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        return self.fc8(F.relu(self.fc6(x.flatten(1))))


train_loader = torch.utils.data.DataLoader(VideoDataset(384), batch_size=16, shuffle=True)
test_loader = torch.utils.data.DataLoader(VideoDataset(128), batch_size=64)
model = C3D()
optimizer = torch.optim.SGD(model.parameters(), lr=5e-3, momentum=0.9, weight_decay=5e-4)
for epoch in range(3):
    for inputs, labels in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
correct = 0
with torch.no_grad():
    for inputs, labels in test_loader:
        correct += (model(inputs).argmax(1) == labels).sum().item()
print(f"FINAL acc {correct / 128:.3f}")
