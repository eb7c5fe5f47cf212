"""Shape arithmetic in plain Python.

`torch.broadcast_shapes` imports sympy lazily on its first call (about a second), which would
land on the first watched loss call of every run; shapes of concrete tensors need none of it.
"""
from __future__ import annotations


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """The shape `a` and `b` broadcast to, or None when they do not broadcast."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            return None
        out.append(y if x == 1 else x)
    return tuple(out)
