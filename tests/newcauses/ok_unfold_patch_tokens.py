"""Patch tokens with F.unfold (4x4 patches of a 16x16 image, [B, C*16, L] -> [B, L, C*16]),
a per-patch MLP embedding, then all patch tokens flattened (reshape(B, -1)) into the head.
Task: which quadrant holds the bright blob?"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)


def make(n):
    x = 0.3 * torch.randn(n, 1, 16, 16)
    y = torch.randint(0, 4, (n,))
    for i in range(n):
        r0, c0 = 8 * (y[i] // 2).item(), 8 * (y[i] % 2).item()
        r, c = r0 + torch.randint(0, 6, ()).item(), c0 + torch.randint(0, 6, ()).item()
        x[i, 0, r:r + 3, c:c + 3] += 1.0
    return x, y


class PatchNet(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(16, dim), nn.GELU())
        self.head = nn.Linear(16 * dim, 4)

    def forward(self, img):
        patches = F.unfold(img, kernel_size=4, stride=4).transpose(1, 2)  # [B, 16 patches, 16]
        h = self.embed(patches)  # [B, 16, dim]
        return self.head(h.reshape(h.shape[0], -1))


x_train, y_train = make(1000)
x_test, y_test = make(300)
model = PatchNet()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for epoch in range(6):
    perm = torch.randperm(1000)
    for i in range(0, 1000, 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"FINAL acc {acc:.3f}")
