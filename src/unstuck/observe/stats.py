"""Cheap statistics of tensors for watched steps.

On CPU, torch's generic reductions along the batch axis (`std(dim=0)`, `any(dim=0)`) and
`isfinite(t).all()` cost 10-20 times a plain mean or max over the same tensor. These give
the same numbers from the fast reductions: min/max (NaN and Inf propagate through them, so
they tell finiteness too) and shifted moments.
"""
from __future__ import annotations

import math

import torch


def value_range(t: torch.Tensor) -> tuple[float, float] | None:
    """(min, max) of a floating tensor, None when empty. NaN anywhere gives NaN for both."""
    if not t.numel():
        return None
    lo, hi = torch.aminmax(t.detach())
    return float(lo), float(hi)


def all_finite(t: torch.Tensor) -> bool:
    """No NaN or Inf in `t` (integer and boolean tensors always are finite)."""
    if not (t.is_floating_point() or t.is_complex()):
        return True
    if t.is_complex():
        t = torch.view_as_real(t)
    r = value_range(t)
    return r is None or (math.isfinite(r[0]) and math.isfinite(r[1]))


CHUNK_ELEMS = 30_000  # float32 temporaries under 128 KiB come from malloc's heap: no fresh pages to fault in
MAX_CHUNKS = 64  # so the moments are exact up to 1,920,000 values, estimated on a subsample above


def feature_std_mean(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per feature (axis 1) standard deviation (unbiased) and mean over every other axis.

    Moments of the data shifted by its first value per feature: as exact as Welford's for data
    far from zero (the shift removes the offset before squaring) at the cost of two means.
    Summed over slices of the batch so that the temporaries stay small (on CPU a fresh
    temporary the size of the input costs more in page faults than the sums); an input of
    more than MAX_CHUNKS * CHUNK_ELEMS elements is subsampled, evenly along its batch and
    trailing axes: these statistics judge scales, which a few thousand values per feature tell."""
    x = x.detach()
    x = x.reshape(x.shape[0], x.shape[1], -1)  # (batch, features, positions)
    features, positions = x.shape[1], x.shape[2]
    if features * positions > CHUNK_ELEMS and positions > 1:
        x = x[:, :, ::-(-features * positions // CHUNK_ELEMS)]
    rows = max(1, CHUNK_ELEMS // max(1, x[0].numel()))
    if x.shape[0] > rows * MAX_CHUNKS:
        step = -(-x.shape[0] // (rows * MAX_CHUNKS))
        x = x[::step | 1]  # odd: a batch of alternating kinds (pairs) is not read from one kind only
    shift = x[:1, :, :1].float()
    total = squares = None
    for start in range(0, x.shape[0], rows):
        d = x[start:start + rows].float() - shift
        part, part_sq = d.sum(dim=(0, 2)), d.square_().sum(dim=(0, 2))
        total, squares = (part, part_sq) if total is None else (total + part, squares + part_sq)
    n = x.shape[0] * x.shape[2]
    m = total / n
    var = (squares / n - m * m).clamp_min(0) * (n / max(1, n - 1))
    return var.sqrt(), m + shift.reshape(-1)
