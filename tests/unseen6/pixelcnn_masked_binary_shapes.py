"""Autoregressive PixelCNN (van den Oord et al. 2016) on tiny 10x10 binary images of
rectangles (filled or outlined) and horizontal/vertical bars. Masked convolutions hold their
mask as a buffer and multiply it into the weight on every forward: the first layer uses a
type-A mask (a pixel does not see itself), later layers type-B. Each pixel's Bernoulli logit
is trained with BCEWithLogitsLoss; at the end a few images are sampled pixel by pixel under
no_grad. Metric: held-out NLL in bits per pixel against independent per-pixel Bernoullis
fitted to the training marginals.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
H = W = 10


def make(n):
    imgs = torch.zeros(n, 1, H, W)
    for i in range(n):
        kind = torch.randint(0, 3, (1,)).item()
        r0, c0 = torch.randint(0, H - 3, (2,)).tolist()
        r1 = torch.randint(r0 + 2, H, (1,)).item()
        c1 = torch.randint(c0 + 2, W, (1,)).item()
        if kind == 0:
            imgs[i, 0, r0:r1 + 1, c0:c1 + 1] = 1
        elif kind == 1:
            imgs[i, 0, r0:r1 + 1, c0:c1 + 1] = 1
            imgs[i, 0, r0 + 1:r1, c0 + 1:c1] = 0
        else:
            if torch.rand(1).item() < 0.5:
                imgs[i, 0, r0, :] = 1
            else:
                imgs[i, 0, :, c0] = 1
    return imgs


class MaskedConv2d(nn.Conv2d):
    def __init__(self, c_in, c_out, k, mask_type):
        super().__init__(c_in, c_out, k, padding=k // 2)
        mask = torch.ones_like(self.weight)
        mask[:, :, k // 2, k // 2 + (mask_type == "B"):] = 0
        mask[:, :, k // 2 + 1:, :] = 0
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNN(nn.Module):
    def __init__(self, ch=32, n_layers=5):
        super().__init__()
        layers = [MaskedConv2d(1, ch, 5, "A"), nn.ReLU()]
        for _ in range(n_layers):
            layers += [MaskedConv2d(ch, ch, 3, "B"), nn.ReLU()]
        layers += [nn.Conv2d(ch, ch, 1), nn.ReLU(), nn.Conv2d(ch, 1, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(2 * x - 1)


x_tr, x_te = make(2000), make(800)
p = x_tr.mean(0, keepdim=True).clamp(1e-3, 1 - 1e-3)
marg_bits = F.binary_cross_entropy(p.expand_as(x_te), x_te).item() / math.log(2)
model = PixelCNN()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
loss_fn = nn.BCEWithLogitsLoss()


@torch.no_grad()
def test_bits():
    return loss_fn(model(x_te), x_te).item() / math.log(2)


print(f"independent-pixel baseline {marg_bits:.4f} bits/pixel; start {test_bits():.4f}")
for epoch in range(6):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 64):
        xb = x_tr[perm[i:i + 64]]
        loss = loss_fn(model(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} train {loss.item() / math.log(2):.4f} test {test_bits():.4f} bits/pixel")

with torch.no_grad():
    samples = torch.zeros(8, 1, H, W)
    for r in range(H):
        for c in range(W):
            samples[:, 0, r, c] = torch.bernoulli(torch.sigmoid(model(samples)[:, 0, r, c]))
print("mean ink of samples %.3f (data %.3f)" % (samples.mean().item(), x_tr.mean().item()))
print(f"FINAL test_bits_per_pixel {test_bits():.4f} (independent baseline {marg_bits:.4f})")
