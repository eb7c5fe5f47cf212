"""Thread: https://github.com/Lornatang/SRGAN-PyTorch/issues/1
"Learning rate scheduler is working incorrect ... step_size=epochs // 2 and gamma=0.1 ...
they are called at each training step which means that learning rate is quickly becoming
zero after a few training steps. The SRGAN does not seem to train. But when I put
schedulerD.step() and schedulerG.step() after the epoch end, it started showing nice
results." (the maintainer: "Yeah, I found it. I will fix it.")

Small-scale reproduction of that train.py (SRGAN stage, no PSNR pre-training): a
PixelShuffle SRResNet-style generator and a conv discriminator with a sigmoid output,
BCELoss, errG = content loss + 1e-3 * adversarial loss (pixel MSE stands in for the VGG
content loss), Adam for both. As in the thread, `epochs = iters // len(dataloader)` and
StepLR(step_size=epochs // 2, gamma=0.1) -- but schedulerD.step() / schedulerG.step() sit
inside the batch loop, so the learning rate is divided by 10 every 4 iterations and is
~1e-10 after 40 of the 160 iterations.
Synthetic data: 16x16 RGB textures (random smooth sinusoid mixtures), 2x bicubic
downsampling. Metric: PSNR of the super-resolved test images, against a constant-colour image and bicubic
upsampling (which 160 GAN iterations from scratch do not reach).
Cause: lr-schedule-collapse. Fixed twin: srgan_steplr_every_iteration_fixed.py.
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--iters", default=160, type=int)
parser.add_argument("-b", "--batch-size", default=8, type=int)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--manualSeed", type=int, default=10000)
args = parser.parse_args()
torch.manual_seed(args.manualSeed)


def textures(n, size=16):
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    img = torch.zeros(n, 3, size, size)
    for _ in range(4):
        fx, fy = torch.rand(n, 1, 1, 1) * 3, torch.rand(n, 1, 1, 1) * 3
        phase = torch.rand(n, 1, 1, 1) * 2 * math.pi
        color = torch.rand(n, 3, 1, 1)
        img = img + color * torch.sin(2 * math.pi * (fx * xx + fy * yy) + phase)
    return (img / 4 + 0.5).clamp(0, 1)


def pairs(n):
    hr = textures(n)
    lr = F.interpolate(hr, scale_factor=0.5, mode="bicubic", align_corners=False).clamp(0, 1)
    return lr, hr


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch), nn.PReLU(),
                                  nn.Conv2d(ch, ch, 3, padding=1), nn.BatchNorm2d(ch))

    def forward(self, x):
        return x + self.body(x)


class Generator(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.head = nn.Sequential(nn.Conv2d(3, ch, 5, padding=2), nn.PReLU())
        self.body = nn.Sequential(ResidualBlock(ch), ResidualBlock(ch))
        self.up = nn.Sequential(nn.Conv2d(ch, ch * 4, 3, padding=1), nn.PixelShuffle(2), nn.PReLU())
        self.tail = nn.Conv2d(ch, 3, 5, padding=2)

    def forward(self, x):
        h = self.head(x)
        return self.tail(self.up(h + self.body(h)))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.LeakyReLU(0.2),
                                 nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(32 * 16, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1),
                                 nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


lr_train, hr_train = pairs(160)
lr_test, hr_test = pairs(64)
dataloader = DataLoader(TensorDataset(lr_train, hr_train), batch_size=args.batch_size, shuffle=True)
netG, netD = Generator(), Discriminator()
content_criterion = nn.MSELoss()
adversarial_criterion = nn.BCELoss()


def psnr(sr, hr):
    return (10 * torch.log10(1 / F.mse_loss(sr.clamp(0, 1), hr))).item()


@torch.no_grad()
def test_psnr():
    netG.eval()
    value = psnr(netG(lr_test), hr_test)
    netG.train()
    return value


bicubic = psnr(F.interpolate(lr_test, scale_factor=2, mode="bicubic", align_corners=False), hr_test)
flat = psnr(hr_train.mean((0, 2, 3), keepdim=True).expand_as(hr_test), hr_test)
print(f"constant-colour PSNR {flat:.2f} dB, bicubic {bicubic:.2f} dB; untrained generator {test_psnr():.2f} dB")

epochs = int(args.iters // len(dataloader))
optimizerD = torch.optim.Adam(netD.parameters(), lr=args.lr)
optimizerG = torch.optim.Adam(netG.parameters(), lr=args.lr)
schedulerD = torch.optim.lr_scheduler.StepLR(optimizerD, step_size=epochs // 2, gamma=0.1)
schedulerG = torch.optim.lr_scheduler.StepLR(optimizerG, step_size=epochs // 2, gamma=0.1)
print(f"[*] Training for {epochs} epochs.")
for epoch in range(epochs):
    g_avg_loss = d_avg_loss = 0.0
    for i, (lr_img, hr) in enumerate(dataloader):
        batch_size = lr_img.size(0)
        real_label = torch.full((batch_size, 1), 1.0)
        fake_label = torch.full((batch_size, 1), 0.0)

        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        sr = netG(lr_img)
        errD_hr = adversarial_criterion(netD(hr), real_label)
        errD_hr.backward()
        errD_sr = adversarial_criterion(netD(sr.detach()), fake_label)
        errD_sr.backward()
        errD = errD_hr + errD_sr
        optimizerD.step()

        # (2) Update G network: content loss + 1e-3 * adversarial loss
        netG.zero_grad()
        content_loss = content_criterion(sr, hr)
        adversarial_loss = adversarial_criterion(netD(sr), real_label)
        errG = content_loss + 1e-3 * adversarial_loss
        errG.backward()
        optimizerG.step()

        # Dynamic adjustment of learning rate
        schedulerD.step()
        schedulerG.step()

        d_avg_loss += errD.item()
        g_avg_loss += errG.item()
    print(f"[{epoch + 1}/{epochs}] D loss {d_avg_loss / len(dataloader):.4f} G loss "
          f"{g_avg_loss / len(dataloader):.4f} lr {optimizerG.param_groups[0]['lr']:.1e} "
          f"test PSNR {test_psnr():.2f} dB")

print(f"FINAL test PSNR {test_psnr():.2f} dB (constant colour {flat:.2f} dB, bicubic {bicubic:.2f} dB)")
