# Fine-tuning: a frozen "pretrained" backbone kept in eval mode, a trainable head, and
# gradient accumulation over 4 micro-batches.
import torch
import torch.nn as nn

torch.manual_seed(42)
backbone = nn.Sequential(nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
for p in backbone.parameters():
    p.requires_grad = False
head = nn.Linear(32, 4)
model = nn.Sequential(backbone, head)
X = torch.randn(1200, 16)
y = (X[:, :4] @ torch.randn(4, 4)).argmax(1)
opt = torch.optim.Adam(head.parameters(), lr=3e-2)
accum = 4
for epoch in range(8):
    model.train()
    backbone.eval()
    for k, i in enumerate(range(0, 1200, 25)):
        loss = nn.functional.cross_entropy(model(X[i:i + 25]), y[i:i + 25]) / accum
        loss.backward()
        if (k + 1) % accum == 0:
            opt.step()
            opt.zero_grad()
    print(epoch, loss.item() * accum)
