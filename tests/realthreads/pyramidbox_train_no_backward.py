"""PyramidBox-style face detector training loop: localisation and confidence losses are
computed and logged, the optimizer steps, but no backward pass runs.

Thread: https://github.com/Goingqs/PyramidBox/issues/7
User saw: "No 'loss.backward()' during training?" - the training loop computes the loss and
  calls the optimizer without back-propagating.
Cause (thread, fixed by the author): loss.backward() was missing from train.py.
Fix (thread): add loss.backward() before optimizer.step().
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)
S = 16  # image size; one face per image, anchors on a 4x4 grid


def make_images(n):
    img = 0.2 * torch.randn(n, 1, S, S)
    cy, cx = torch.randint(2, S - 2, (n,)), torch.randint(2, S - 2, (n,))
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            img[torch.arange(n), 0, cy + dy, cx + dx] += 1.5
    cell = (cy // 4) * 4 + cx // 4  # which anchor holds the face
    offset = torch.stack([(cy % 4 - 1.5) / 2, (cx % 4 - 1.5) / 2], 1)
    return img, cell, offset


class PyramidBox(nn.Module):
    def __init__(self):
        super().__init__()
        self.base = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.conf = nn.Conv2d(32, 1, 1)
        self.loc = nn.Conv2d(32, 2, 1)

    def forward(self, x):
        f = self.base(x)  # (n, 32, 4, 4)
        return self.conf(f).flatten(1), self.loc(f).flatten(2).transpose(1, 2)


def multibox_loss(conf, loc, cell, offset):
    loss_c = F.cross_entropy(conf, cell)
    loss_l = F.smooth_l1_loss(loc[torch.arange(len(cell)), cell], offset)
    return loss_l, loss_c


x_train, c_train, o_train = make_images(1024)
x_test, c_test, o_test = make_images(256)
net = PyramidBox()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
for epoch in range(5):
    for i in range(0, len(x_train), 32):
        conf, loc = net(x_train[i:i + 32])
        loss_l, loss_c = multibox_loss(conf, loc, c_train[i:i + 32], o_train[i:i + 32])
        loss = loss_l + loss_c
        optimizer.zero_grad()
        optimizer.step()
    print(f"epoch {epoch} loc {loss_l.item():.4f} conf {loss_c.item():.4f}")
with torch.no_grad():
    conf, loc = net(x_test)
    hit = (conf.argmax(1) == c_test).float().mean().item()
print(f"FINAL acc {hit:.3f}")
