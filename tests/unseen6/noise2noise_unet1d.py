"""Noise2Noise (Lehtinen et al. 2018) denoiser for 1-D signals: the network never sees a clean
signal. Each training pair is two independent noisy measurements of the same underlying
signal (a sum of a few Gaussian bumps and a slow sine, noise std 1.0, so the noise is stronger
than the signal), and the network maps one noisy copy to the other with MSE; since the noise
is zero-mean and independent, the minimiser is the clean signal. Because the target itself
is noisy, the training loss can only fall to about the noise variance (1.0), not far below
the loss of a constant prediction. The model is a small 1-D U-Net: two down-sampling levels,
skip connections concatenated on the way up. Metric: MSE against the (held-back) clean test
signals, compared with predicting 0 (the untrained start), with the noisy input itself and
with a 9-tap moving average.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)
L = 128


def clean(n):
    t = torch.linspace(0, 1, L)
    s = 0.5 * torch.sin(2 * torch.pi * (torch.rand(n, 1) * 2 + 0.5) * t + torch.rand(n, 1) * 6.28)
    for _ in range(3):
        c, w = torch.rand(n, 1), torch.rand(n, 1) * 0.04 + 0.02
        s = s + (torch.rand(n, 1) * 3.0 - 1.5) * torch.exp(-((t - c) / w) ** 2)
    return s.unsqueeze(1)


def block(c_in, c_out):
    return nn.Sequential(nn.Conv1d(c_in, c_out, 5, padding=2), nn.GELU(),
                         nn.Conv1d(c_out, c_out, 5, padding=2), nn.GELU())


class UNet1d(nn.Module):
    def __init__(self, c=24):
        super().__init__()
        self.enc1, self.enc2, self.mid = block(1, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.up2 = nn.ConvTranspose1d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = block(4 * c, 2 * c)
        self.up1 = nn.ConvTranspose1d(2 * c, c, 2, stride=2)
        self.dec1 = block(2 * c, c)
        self.out = nn.Conv1d(c, 1, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool1d(e1, 2))
        m = self.mid(F.max_pool1d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.out(d1)


SIGMA = 1.0
s_tr = clean(2000)
s_te = clean(500)
x_te = s_te + SIGMA * torch.randn_like(s_te)
model = UNet1d()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def test_mse():
    with torch.no_grad():
        return F.mse_loss(model(x_te), s_te).item()


noisy_mse = F.mse_loss(x_te, s_te).item()
smooth_mse = F.mse_loss(F.avg_pool1d(F.pad(x_te, (4, 4), mode="replicate"), 9, 1), s_te).item()
print(f"noisy input mse {noisy_mse:.4f}, moving average mse {smooth_mse:.4f}; start {test_mse():.4f}")
for epoch in range(4):
    perm = torch.randperm(len(s_tr))
    for i in range(0, len(perm), 32):
        s = s_tr[perm[i:i + 32]]
        inp = s + SIGMA * torch.randn_like(s)      # two independent noisy looks at the same signal
        tgt = s + SIGMA * torch.randn_like(s)
        loss = F.mse_loss(model(inp), tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} train (noisy target) {loss.item():.4f} test vs clean {test_mse():.4f}")
print(f"FINAL clean_test_mse {test_mse():.4f} (zero {(s_te ** 2).mean().item():.4f}, noisy input {noisy_mse:.4f}, "
      f"moving average {smooth_mse:.4f})")
