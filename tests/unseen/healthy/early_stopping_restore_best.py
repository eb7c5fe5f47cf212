# Early stopping on validation loss with patience, keeping a deep copy of the best
# state_dict and restoring it at the end; the small training set makes the model overfit
# after a while, so the restored weights are not the last ones.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(32)
X = torch.randn(260, 10)
w = torch.randn(10)
y = (X @ w + 0.8 * torch.randn(260) > 0).long()
Xtr, ytr, Xva, yva, Xte, yte = X[:100], y[:100], X[100:180], y[100:180], X[180:], y[180:]

model = nn.Sequential(nn.Linear(10, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 128),
                      nn.ReLU(), nn.Linear(128, 2))
opt = torch.optim.Adam(model.parameters(), lr=2e-3)


def loss_on(x, t):
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(x), t).item()


first = loss_on(Xte, yte)
best, best_state, best_epoch, patience, bad = float("inf"), None, -1, 8, 0
for epoch in range(200):
    model.train()
    for b in torch.randperm(100).split(20):
        opt.zero_grad()
        F.cross_entropy(model(Xtr[b]), ytr[b]).backward()
        opt.step()
    v = loss_on(Xva, yva)
    if v < best - 1e-4:
        best, best_state, best_epoch, bad = v, copy.deepcopy(model.state_dict()), epoch, 0
    else:
        bad += 1
        if bad >= patience:
            print(f"stopping at epoch {epoch}, best epoch {best_epoch}")
            break
model.load_state_dict(best_state)
final = loss_on(Xte, yte)
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
