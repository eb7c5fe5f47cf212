# SimCLR-style contrastive loss: a similarity matrix between two views, cross-entropy
# against the diagonal. The [N, N] table is intended.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(44)
X = torch.randn(512, 10)
encoder = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 16))
opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
for step in range(120):
    xb = X[torch.randint(0, 512, (64,))]
    z1 = F.normalize(encoder(xb + 0.1 * torch.randn_like(xb)), dim=1)
    z2 = F.normalize(encoder(xb + 0.1 * torch.randn_like(xb)), dim=1)
    logits = z1 @ z2.T / 0.2
    loss = F.cross_entropy(logits, torch.arange(64))
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
