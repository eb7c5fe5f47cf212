# An old-style script that publishes its configuration through __builtins__ so helper
# functions (and imported modules) can read it, then trains a small classifier.
import torch
import torch.nn as nn

__builtins__.CONFIG = {"lr": 0.02, "epochs": 20, "hidden": 32}


def build():
    return nn.Sequential(nn.Linear(4, CONFIG["hidden"]), nn.ReLU(), nn.Linear(CONFIG["hidden"], 2))


torch.manual_seed(211)
X = torch.randn(400, 4)
y = ((X ** 2).sum(1) > 4).long()
model = build()
opt = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"], momentum=0.9)
hist = []
for epoch in range(CONFIG["epochs"]):
    for xb, yb in zip(X.split(40), y.split(40)):
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.append(loss.item())
checksum = sum(p.detach().double().sum().item() for p in model.parameters())
print("RESULT", repr(hist[0]), repr(hist[-1]), repr(checksum))
