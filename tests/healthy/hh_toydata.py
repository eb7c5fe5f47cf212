"""Data helpers imported by `sibling_module_import.py` (a script importing a module that
sits next to it, as most projects' train.py does)."""
import torch


def two_moons(n, noise=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * 3.1416
    upper = torch.rand(n, generator=g) < 0.5
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    pts = torch.stack([x, y], 1) + noise * torch.randn(n, 2, generator=g)
    return pts, (~upper).long()
