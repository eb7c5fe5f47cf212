"""Adaptive-attention captioner: the CNN encoder output (batch, C, 7, 7) is flattened into
"pixels" with .view(batch, 49, C) without moving the channel axis last.

Thread: https://github.com/fawazsammani/knowing-when-to-look-adaptive-attention/issues/6
User saw: encoded_image.view(batch_size, num_pixels, features) applied to a (batch, 2048, 7, 7)
  tensor.
Cause (thread, confirmed by the author): "the features are acting as pixels" - view regroups the
  memory of the channel-first tensor instead of giving one feature vector per pixel.
Fix (thread): encoded_image.permute(0, 2, 3, 1) first, then .view(batch_size, num_pixels, features).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
N_CLASSES, FEAT = 4, 16


def make_images(n):
    # noise images; one pixel carries a marker (channel 0) and its class colour (channels 1-4)
    img = 0.3 * torch.randn(n, 5, 7, 7)
    cls = torch.randint(0, N_CLASSES, (n,))
    r, c = torch.randint(0, 7, (n,)), torch.randint(0, 7, (n,))
    img[torch.arange(n), 0, r, c] = 3.0
    img[torch.arange(n), 1 + cls, r, c] += 2.0
    return img, cls


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(5, FEAT, 1), nn.ReLU(), nn.Conv2d(FEAT, FEAT, 1))

    def forward(self, images):
        encoded_image = self.conv(images)  # (batch_size, FEAT, 7, 7)
        batch_size = encoded_image.shape[0]
        num_pixels, features = 49, encoded_image.shape[1]
        return encoded_image.view(batch_size, num_pixels, features)


class AttendAndTell(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.att = nn.Sequential(nn.Linear(FEAT, 32), nn.Tanh(), nn.Linear(32, 1))
        self.out = nn.Linear(FEAT, N_CLASSES)

    def forward(self, images):
        enc = self.encoder(images)  # (batch, 49, FEAT)
        alpha = self.att(enc).squeeze(-1).softmax(1)  # attention over the 49 pixels
        context = (alpha.unsqueeze(-1) * enc).sum(1)
        return self.out(context)


x_train, y_train = make_images(2048)
x_test, y_test = make_images(512)
model = AttendAndTell()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(8):
    for i in range(0, len(x_train), 64):
        opt.zero_grad()
        loss = F.cross_entropy(model(x_train[i:i + 64]), y_train[i:i + 64])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    print(f"FINAL acc {(model(x_test).argmax(1) == y_test).float().mean().item():.3f}")
