"""Colour-rule check: a 1x1 conv stem, then one token per pixel ([B, H*W, C]) for a shared
token MLP and mean pooling. In class 1 images each pixel's blue is red XOR green (mostly);
every channel, and every pair of channels, looks the same in both classes."""
import torch
import torch.nn as nn

torch.manual_seed(6)
H = W = 8


def make(n):
    y = torch.randint(0, 2, (n,))
    r = torch.randint(0, 2, (n, H, W))
    g = torch.randint(0, 2, (n, H, W))
    rule = (torch.rand(n, H, W) < 0.9) & (y[:, None, None] == 1)
    b = torch.where(rule, r ^ g, torch.randint(0, 2, (n, H, W)))
    img = torch.stack([r, g, b], 1).float() + 0.1 * torch.randn(n, 3, H, W)
    return img, y


class PixelMixer(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 1)
        self.token_mlp = nn.Sequential(nn.Linear(c, 32), nn.ReLU(), nn.Linear(32, 32))
        self.head = nn.Linear(32, 2)

    def forward(self, img):
        f = self.stem(img)  # [B, C, H, W]
        b, c, h, w = f.shape
        tokens = f.reshape(b, h * w, c)  # channels-last tokens
        return self.head(self.token_mlp(tokens).mean(1))


x_train, y_train = make(1500)
x_test, y_test = make(500)
model = PixelMixer()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(12):
    perm = torch.randperm(1500)
    for i in range(0, 1500, 100):
        idx = perm[i:i + 100]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
