# A small learning-rate / width sweep: independent models trained one after another in the
# same process, each with its own optimizer, then the best configuration (by validation
# loss) is retrained on train+val and tested.
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
X = torch.rand(500, 3) * 2 - 1
y = (3 * X[:, :1]).sin() * X[:, 1:2] + 0.3 * X[:, 2:3] ** 2
X_tr, y_tr, X_va, y_va, X_te, y_te = X[:300], y[:300], X[300:400], y[300:400], X[400:], y[400:]


def build(width):
    return nn.Sequential(nn.Linear(3, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(),
                         nn.Linear(width, 1))


def fit(model, lr, Xt, yt, epochs=30):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for xb, yb in zip(Xt.split(50), yt.split(50)):
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()
    return model


def score(model, Xe, ye):
    with torch.no_grad():
        return F.mse_loss(model(Xe), ye).item()


results = {}
for lr, width in itertools.product([1e-3, 1e-2], [8, 32]):
    torch.manual_seed(100)
    model = fit(build(width), lr, X_tr, y_tr)
    results[(lr, width)] = score(model, X_va, y_va)
    print(f"lr={lr:g} width={width}: val {results[(lr, width)]:.4f}")

best_lr, best_width = min(results, key=results.get)
torch.manual_seed(100)
final_model = build(best_width)
first = score(final_model, X_te, y_te)
fit(final_model, best_lr, torch.cat([X_tr, X_va]), torch.cat([y_tr, y_va]))
final = score(final_model, X_te, y_te)
checksum = sum(p.detach().double().sum().item() for p in final_model.parameters())
print("RESULT", repr(first), repr(final), repr(checksum))
