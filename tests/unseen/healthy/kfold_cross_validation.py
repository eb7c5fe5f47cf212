# K-fold cross-validation of a small classifier: a fresh model and optimizer per fold,
# functional style, reporting the mean held-out loss before and after training.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
N, K = 400, 4
X = torch.randn(N, 6)
y = ((X[:, 0] * X[:, 1] > 0) ^ (X[:, 2] > 0.5)).long()
folds = torch.randperm(N).chunk(K)


def make_model():
    return nn.Sequential(nn.Linear(6, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 2))


def held_out_loss(model, idx):
    model.eval()
    with torch.no_grad():
        return F.cross_entropy(model(X[idx]), y[idx]).item()


def train_fold(model, idx, epochs=25, bs=40):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-3)
    model.train()
    for _ in range(epochs):
        order = idx[torch.randperm(len(idx))]
        for b in order.split(bs):
            loss = F.cross_entropy(model(X[b]), y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


before, after, checksum = [], [], 0.0
for k in range(K):
    val_idx = folds[k]
    train_idx = torch.cat([f for j, f in enumerate(folds) if j != k])
    model = make_model()
    before.append(held_out_loss(model, val_idx))
    train_fold(model, train_idx)
    after.append(held_out_loss(model, val_idx))
    checksum += sum(p.detach().double().sum().item() for p in model.parameters())
    print(f"fold {k}: {before[-1]:.3f} -> {after[-1]:.3f}")

print("RESULT", repr(sum(before) / K), repr(sum(after) / K), repr(checksum))
