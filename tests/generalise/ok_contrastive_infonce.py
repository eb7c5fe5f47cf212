"""Two-view contrastive learning with a symmetric InfoNCE loss over the [B, B] similarity matrix."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(39)
base = torch.randn(1024, 16)


def view(x):
    return x + 0.3 * torch.randn_like(x)


encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32))
opt = torch.optim.Adam(encoder.parameters(), lr=2e-3)
for epoch in range(4):
    for i in range(0, 1024, 64):
        x = base[i:i + 64]
        a, b = F.normalize(encoder(view(x)), dim=1), F.normalize(encoder(view(x)), dim=1)
        sim = a @ b.T / 0.2
        target = torch.arange(len(x))
        loss_ab = -F.log_softmax(sim, dim=1).diagonal().mean()
        loss_ba = -F.log_softmax(sim, dim=0).diagonal().mean()
        loss = (loss_ab + loss_ba) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    a, b = F.normalize(encoder(view(base[:256])), dim=1), F.normalize(encoder(view(base[:256])), dim=1)
    top1 = ((a @ b.T).argmax(1) == torch.arange(256)).float().mean().item()
print(f"FINAL top1 {top1:.3f}")
