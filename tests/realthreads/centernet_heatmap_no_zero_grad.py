"""CenterNet-style keypoint heatmap detector re-organised into a custom training loop that
steps the optimizer without clearing gradients.

Thread: https://github.com/xingyizhou/CenterNet/issues/928
User saw: "loss since 2nd epoch becomes huge and unchanged" after re-organising the code.
Cause (thread): the loop was loss.backward(); optimizer.step() with no zero_grad, so gradients
  kept accumulating.
Fix (thread): loss.backward(); optimizer.step(); optimizer.zero_grad()
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
S = 16


def make_images(n):
    img = 0.3 * torch.randn(n, 1, S, S)
    cy, cx = torch.randint(1, S - 1, (n,)), torch.randint(1, S - 1, (n,))
    yy, xx = torch.meshgrid(torch.arange(S), torch.arange(S), indexing="ij")
    heat = torch.exp(-((yy - cy[:, None, None]) ** 2 + (xx - cx[:, None, None]) ** 2) / 2.0)
    img[:, 0] += 1.5 * heat
    return img, heat.unsqueeze(1)


class CenterNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.hm = nn.Conv2d(16, 1, 1)

    def forward(self, x):
        return torch.sigmoid(self.hm(self.body(x)))


def focal_like_loss(pred, gt):
    pred = pred.clamp(1e-4, 1 - 1e-4)
    pos = gt.gt(0.9).float()
    neg_w = (1 - gt) ** 4
    pos_loss = (torch.log(pred) * (1 - pred) ** 2 * pos).sum()
    neg_loss = (torch.log(1 - pred) * pred ** 2 * neg_w * (1 - pos)).sum()
    return -(pos_loss + neg_loss) / pos.sum().clamp(min=1)


x_train, h_train = make_images(512)
x_test, h_test = make_images(128)
model = CenterNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1.25e-3)
for epoch in range(6):
    for i in range(0, len(x_train), 32):
        loss = focal_like_loss(model(x_train[i:i + 32]), h_train[i:i + 32])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    pred = model(x_test)
    peak = pred.flatten(1).argmax(1)
    hit = (peak == h_test.flatten(1).argmax(1)).float().mean().item()
print(f"FINAL acc {hit:.3f}")
