"""Gesture classification from 3-axis accelerometer windows. Hydra-like setup: a nested
config with `_target_` entries instantiated by name. The collate function stacks windows
time-major ([T, B, C], the layout the old recurrent code wanted); the new MLP model turns
them batch-first with `view`."""
import importlib

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "seed": 0,
    "data": {"n": 1200, "window": 20, "channels": 3, "batch_size": 32},
    "model": {"_target_": "__main__.WindowMLP", "window": 20, "channels": 3, "hidden": 64, "classes": 4},
    "optim": {"_target_": "torch.optim.Adam", "lr": 3e-3},
    "trainer": {"epochs": 6},
}


class DotDict(dict):
    __getattr__ = dict.__getitem__


def to_cfg(d):
    return DotDict({k: to_cfg(v) if isinstance(v, dict) else v for k, v in d.items()})


def instantiate(node, *args):
    module, _, name = node["_target_"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls(*args, **{k: v for k, v in node.items() if k != "_target_"})


class Gestures(Dataset):
    def __init__(self, n, window, channels):
        g = torch.Generator().manual_seed(1)
        self.y = torch.randint(0, 4, (n,), generator=g)
        t = torch.linspace(0, 1, window)
        freq = (1 + self.y.float()).unsqueeze(1) * 2.0
        base = torch.sin(6.28 * freq * t)  # [n, T]
        axis = torch.stack([base, base.roll(3, 1), (self.y.float() - 1.5).unsqueeze(1).expand(-1, window)], -1)
        self.x = axis[..., :channels] + 0.3 * torch.randn(n, window, channels, generator=g)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def time_major_collate(items):
    xs, ys = zip(*items)
    return torch.stack(xs, dim=1), torch.stack(ys)  # [T, B, C], [B]


class WindowMLP(nn.Module):
    def __init__(self, window, channels, hidden, classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(window * channels, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):
        T, B, C = x.shape
        x = x.transpose(0, 1)  # to batch-first
        return self.net(x.reshape(B, T * C))


def main(cfg):
    torch.manual_seed(cfg.seed)
    ds = Gestures(cfg.data.n, cfg.data.window, cfg.data.channels)
    loader = DataLoader(ds, batch_size=cfg.data.batch_size, shuffle=True, collate_fn=time_major_collate)
    model = instantiate(cfg.model)
    opt = instantiate(cfg.optim, model.parameters())
    crit = nn.CrossEntropyLoss()
    for epoch in range(cfg.trainer.epochs):
        correct = seen = 0
        for x, y in loader:
            logits = model(x)
            loss = crit(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        print(f"epoch {epoch} loss {loss.item():.3f} train_acc {correct / seen:.3f}")
    print(f"FINAL acc {correct / seen:.3f}")


if __name__ == "__main__":
    main(to_cfg(CONFIG))
