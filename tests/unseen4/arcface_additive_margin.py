"""ArcFace-style additive angular margin: L2-normalised embeddings and class weight
vectors, cos(theta + m) on the true class, scale s, cross-entropy; test accuracy by cosine
to the class centres."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)
N, D, C = 3000, 32, 10
centers = torch.randn(C, D) * 1.2
y = torch.randint(0, C, (N,))
X = centers[y] + torch.randn(N, D)
Xtr, ytr, Xte, yte = X[:2400], y[:2400], X[2400:], y[2400:]


class ArcMargin(nn.Module):
    def __init__(self, d, c, s=16.0, m=0.3):
        super().__init__()
        self.W = nn.Parameter(torch.randn(c, d) * 0.01)
        self.s, self.m = s, m

    def forward(self, emb, labels=None):
        cos = F.linear(F.normalize(emb), F.normalize(self.W)).clamp(-1 + 1e-6, 1 - 1e-6)
        if labels is None:
            return cos
        theta = torch.acos(cos)
        target = torch.cos(theta + self.m)
        onehot = F.one_hot(labels, cos.shape[1]).bool()
        return self.s * torch.where(onehot, target, cos)


backbone = nn.Sequential(nn.Linear(D, 128), nn.BatchNorm1d(128), nn.PReLU(), nn.Linear(128, 64))
head = ArcMargin(64, C)
opt = torch.optim.SGD(list(backbone.parameters()) + list(head.parameters()), lr=0.1, momentum=0.9, weight_decay=5e-4)
for epoch in range(10):
    backbone.train()
    perm = torch.randperm(len(Xtr))
    for i in range(0, len(Xtr), 128):
        b = perm[i:i + 128]
        loss = F.cross_entropy(head(backbone(Xtr[b]), ytr[b]), ytr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and i == 0:
            print(f"start loss {loss.item():.3f}")
    print(f"epoch {epoch} loss {loss.item():.3f}")
backbone.eval()
with torch.no_grad():
    acc = (head(backbone(Xte)).argmax(1) == yte).float().mean().item()
print(f"FINAL test_acc {acc:.3f}")
