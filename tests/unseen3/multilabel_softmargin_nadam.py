"""Multi-label tagging (several tags per row) with MultiLabelSoftMarginLoss and NAdam."""
import torch
import torch.nn as nn

torch.manual_seed(7)
N, D, TAGS = 1000, 16, 6
X = torch.randn(N, D)
proj = torch.randn(D, TAGS)
Y = ((X @ proj) > 0.5).float()  # multi-hot
model = nn.Sequential(nn.Linear(D, 64), nn.GELU(), nn.Dropout(0.1), nn.Linear(64, TAGS))
criterion = nn.MultiLabelSoftMarginLoss()
opt = torch.optim.NAdam(model.parameters(), lr=3e-3)
perm = torch.randperm(N)
train_idx, val_idx = perm[:800], perm[800:]
for epoch in range(12):
    model.train()
    for start in range(0, 800, 40):
        b = train_idx[start:start + 40]
        loss = criterion(model(X[b]), Y[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch == 0 and start == 0:
            print(f"start loss {loss.item():.3f}")
    model.eval()
    with torch.no_grad():
        val = criterion(model(X[val_idx]), Y[val_idx]).item()
print(f"end loss {loss.item():.3f} val {val:.3f}")
with torch.no_grad():
    exact = ((model(X[val_idx]) > 0).float() == Y[val_idx]).float().mean().item()
print(f"FINAL tag_acc {exact:.3f}")
