"""Patch-based classifier: F.unfold cuts 4x4 patches ([B, C*16, L], transposed to [B, L, C*16]),
a token-mixing and a channel-mixing MLP (MLP-Mixer style); RAdam with a linear warm-up
chained to cosine decay by SequentialLR."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
N = 600
labels = torch.randint(0, 3, (N,))
imgs = torch.randn(N, 2, 16, 16) * 0.5
for k in range(N):
    q = int(labels[k])
    imgs[k, q % 2, (q * 5):(q * 5) + 5, :] += 1.5


class Mixer(nn.Module):
    def __init__(self, patch=4, dim=32, tokens=16):
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(2 * patch * patch, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, 32), nn.GELU(), nn.Linear(32, tokens))
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mlp = nn.Sequential(nn.Linear(dim, 64), nn.GELU(), nn.Linear(64, dim))
        self.head = nn.Linear(dim, 3)

    def forward(self, x):
        p = F.unfold(x, kernel_size=self.patch, stride=self.patch)  # [B, C*k*k, L]
        t = self.embed(p.transpose(1, 2))                              # [B, L, dim]
        t = t + self.token_mlp(self.norm1(t).transpose(1, 2)).transpose(1, 2)
        t = t + self.channel_mlp(self.norm2(t))
        return self.head(t.mean(1))


net = Mixer()
opt = torch.optim.RAdam(net.parameters(), lr=3e-3)
total = 240
warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=20)
decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - 20, eta_min=1e-4)
sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[20])
for step in range(total):
    idx = torch.randint(0, N, (32,))
    loss = F.cross_entropy(net(imgs[idx]), labels[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    if step == 0:
        print(f"start loss {loss.item():.3f}")
print(f"end loss {loss.item():.3f}")
with torch.no_grad():
    acc = (net(imgs).argmax(1) == labels).float().mean().item()
print(f"FINAL acc {acc:.3f}")
