# Tiny fully-convolutional segmentation net: log_softmax over the class dimension (dim=1)
# and nll_loss on [N, C, H, W] predictions against [N, H, W] masks, with ignore_index.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(71)
N, H, W = 96, 16, 16
imgs = torch.rand(N, 1, H, W) * 0.3
masks = torch.zeros(N, H, W, dtype=torch.long)
for i in range(N):
    r, c, s = torch.randint(0, 10, (3,)).tolist()
    s = 3 + s % 4
    imgs[i, 0, r:r + s, c:c + s] += 0.7
    masks[i, r:r + s, c:c + s] = 1 + (i % 2)
    imgs[i, 0, r:r + s, c:c + s] += 0.2 * (i % 2)
masks[:, 0, :] = 255  # unlabeled border row


class FCN(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                                 nn.ReLU())
        self.cls = nn.Conv2d(16, classes, 1)

    def forward(self, x):
        return F.log_softmax(self.cls(self.enc(x)), dim=1)


net = FCN()
opt = torch.optim.Adam(net.parameters(), lr=5e-3)
losses = []
for epoch in range(8):
    for xb, mb in zip(imgs.split(16), masks.split(16)):
        loss = F.nll_loss(net(xb), mb, ignore_index=255)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in net.parameters())
print("RESULT", repr(losses[0]), repr(losses[-1]), repr(checksum))
