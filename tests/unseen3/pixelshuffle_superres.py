"""2x super-resolution of smooth synthetic images: conv features, nn.PixelShuffle upsampling,
residual over bicubic interpolation, L1 loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)


def smooth_images(n):
    coarse = torch.randn(n, 1, 4, 4)
    return F.interpolate(coarse, size=(16, 16), mode="bicubic", align_corners=False)


class ESPCN(nn.Module):
    def __init__(self, r=2):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.Tanh(),
            nn.Conv2d(32, 16, 3, padding=1), nn.Tanh(),
            nn.Conv2d(16, r * r, 3, padding=1))
        self.shuffle = nn.PixelShuffle(r)

    def forward(self, lr_img):
        up = F.interpolate(lr_img, scale_factor=2, mode="bilinear", align_corners=False)
        return up + self.shuffle(self.body(lr_img))


hr_train = smooth_images(512)
lr_train = F.avg_pool2d(hr_train, 2)
net = ESPCN()
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
for step in range(120):
    idx = torch.randint(0, 512, (32,))
    pred = net(lr_train[idx])
    loss = F.l1_loss(pred, hr_train[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step == 0:
        print(f"start loss {loss.item():.4f}")
print(f"end loss {loss.item():.4f}")
with torch.no_grad():
    base = F.l1_loss(F.interpolate(lr_train, scale_factor=2, mode="bilinear", align_corners=False), hr_train)
    ours = F.l1_loss(net(lr_train), hr_train)
print(f"FINAL l1 {ours.item():.4f} (bilinear {base.item():.4f})")
