"""Model, initialiser and optimizer chosen by name from registries, as in the team's config files."""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

INITIALIZERS = {
    "xavier": nn.init.xavier_uniform_,
    "kaiming": partial(nn.init.kaiming_normal_, nonlinearity="relu"),
    "normal": partial(nn.init.constant_, val=0.02),
    "orthogonal": nn.init.orthogonal_,
}
ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": partial(torch.optim.SGD, momentum=0.9)}

CONFIG = {
    "model": {"widths": [12, 64, 64, 3], "activation": "gelu", "init": "normal"},
    "optim": {"name": "adam", "lr": 2e-3},
    "epochs": 10,
    "batch_size": 64,
}


def build_model(widths, activation, init):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        linear = nn.Linear(a, b)
        INITIALIZERS[init](linear.weight)
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


torch.manual_seed(33)
X = torch.randn(1500, 12)
y = (X[:, :6] @ torch.randn(6, 3) + torch.tanh(2 * X[:, 6:9]) * X[:, 9:12]).argmax(1)
model = build_model(**CONFIG["model"])
opt_cfg = dict(CONFIG["optim"])
opt = OPTIMIZERS[opt_cfg.pop("name")](model.parameters(), **opt_cfg)
for epoch in range(CONFIG["epochs"]):
    perm = torch.randperm(1200)
    for i in range(0, 1200, CONFIG["batch_size"]):
        idx = perm[i:i + CONFIG["batch_size"]]
        loss = F.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
with torch.no_grad():
    acc = (model(X[1200:]).argmax(1) == y[1200:]).float().mean().item()
print(f"FINAL acc {acc:.3f}")
