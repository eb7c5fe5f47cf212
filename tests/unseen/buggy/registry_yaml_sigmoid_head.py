"""Experiment defined by a YAML-like config string; models, heads, losses and optimizers come from registries."""
import torch
import torch.nn as nn

CONFIG = """
experiment: churn-baseline
seed: 4
model:
  name: mlp
  hidden: 32
  depth: 2
  head: sigmoid
loss: bce
optimizer:
  name: sgd
  lr: 0.05
  momentum: 0.9
train:
  epochs: 6
  batch_size: 64
"""


def parse_config(text):
    """Two-level `key: value` config (enough of YAML for our experiment files)."""
    root, section = {}, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if not line.startswith(" "):
            if value:
                root[key] = _scalar(value)
            else:
                section = root[key] = {}
        else:
            section[key] = _scalar(value)
    return root


def _scalar(v):
    for cast in (int, float):
        try:
            return cast(v)
        except ValueError:
            pass
    return v


MODELS, HEADS, LOSSES, OPTIMIZERS = {}, {}, {}, {}


def register(table, name):
    def deco(obj):
        table[name] = obj
        return obj
    return deco


register(HEADS, "identity")(nn.Identity)
register(HEADS, "sigmoid")(nn.Sigmoid)
register(LOSSES, "bce")(nn.BCEWithLogitsLoss)
register(LOSSES, "mse")(nn.MSELoss)
register(OPTIMIZERS, "sgd")(torch.optim.SGD)
register(OPTIMIZERS, "adam")(torch.optim.Adam)


@register(MODELS, "mlp")
def build_mlp(n_in, hidden, depth, head):
    layers, width = [], n_in
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    return nn.Sequential(*layers, nn.Linear(width, 1), HEADS[head]())


cfg = parse_config(CONFIG)
torch.manual_seed(cfg["seed"])
X = torch.randn(2000, 12)
logit = 2.0 * X[:, 0] - 1.5 * X[:, 1] * X[:, 2] + X[:, 3].abs() - 0.8
y = (logit + 0.3 * torch.randn(2000) > 0).float().unsqueeze(1)
X_train, y_train, X_val, y_val = X[:1600], y[:1600], X[1600:], y[1600:]

mcfg, ocfg, tcfg = dict(cfg["model"]), dict(cfg["optimizer"]), cfg["train"]
model = MODELS[mcfg.pop("name")](X.shape[1], **mcfg)
criterion = LOSSES[cfg["loss"]]()
optimizer = OPTIMIZERS[ocfg.pop("name")](model.parameters(), **ocfg)

for epoch in range(tcfg["epochs"]):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), tcfg["batch_size"]):
        idx = perm[i:i + tcfg["batch_size"]]
        optimizer.zero_grad()
        loss = criterion(model(X_train[idx]), y_train[idx])
        loss.backward()
        optimizer.step()

with torch.no_grad():
    prob = model(X_val)
    acc = ((prob > 0.5).float() == y_val).float().mean().item()
print(f"FINAL acc {acc:.3f}")
