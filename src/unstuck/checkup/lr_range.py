"""Learning-rate range test: train a copy while the learning rate grows exponentially, and
suggest a learning rate from the loss curve.

Measuring (`lr_range_test`) and choosing (`suggest_lr`, a pure function of the curve) are
apart, like Lightning's `suggestion()`: it returns None, with the reason, when the curve does
not allow a choice. The suggestion resists noise and spikes, which fool the usual "steepest
slope" rule (a single noisy step gives the steepest slope anywhere):

1. a running median over MEDIAN_WINDOW points removes isolated spikes;
2. a Gaussian-weighted moving average (SMOOTH_SIGMA points) smooths the rest;
3. the curve is cut where the smoothed loss first exceeds DIVERGE_FACTOR x its minimum
   so far (divergence); the minimum of what is left is the best loss seen;
4. the suggestion is the learning rate at that minimum divided by MIN_DIVISOR, kept no lower
   than where the smoothed loss first fell by DESCENT_FRACTION of its total drop (the
   descent must have started) -- a point well inside the descending valley;
5. no suggestion when the smoothed loss never fell by MIN_DROP of its starting value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from unstuck.checkup.problem import Deadline, Problem, generator, train
from unstuck.checkup.units import Experiment, fmt, num

LR_START = 1e-6
LR_END = 10.0
STEPS = 100
MEDIAN_WINDOW = 5
SMOOTH_SIGMA = 2.0
DIVERGE_FACTOR = 4.0
MIN_DIVISOR = 10.0
DESCENT_FRACTION = 0.1
MIN_DROP = 0.05


@dataclass
class LRRange:
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float | None
    optimizer: str
    why: str = ""

    def to_json(self) -> dict:
        return {"lrs": [num(x) for x in self.lrs], "losses": [num(x) for x in self.losses],
                "smoothed": [num(x) for x in self.smoothed], "suggestion": num(self.suggestion),
                "optimizer": self.optimizer, "why": self.why}


def _running_median(x: np.ndarray, w: int) -> np.ndarray:
    half = w // 2
    padded = np.pad(x, half, mode="edge")
    return np.array([np.median(padded[i:i + w]) for i in range(len(x))])


def _gaussian_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    radius = int(3 * sigma)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(x, radius, mode="edge")
    return np.convolve(padded, k, mode="valid")


def smooth(losses) -> np.ndarray:
    x = np.asarray(losses, dtype=float)
    if not len(x):
        return x
    finite = np.isfinite(x)
    if not finite.all():  # a non-finite loss is a very large one
        cap = np.nanmax(np.where(finite, x, np.nan)) if finite.any() else 1.0
        x = np.where(finite, x, 10 * abs(cap) + 1.0)
    return _gaussian_smooth(_running_median(x, MEDIAN_WINDOW), SMOOTH_SIGMA)


def suggest_lr(lrs, losses) -> tuple[float | None, str, np.ndarray]:
    """(suggested learning rate or None, why, smoothed curve)."""
    lrs = np.asarray(lrs, dtype=float)
    s = smooth(losses)
    if len(s) < 2 * MEDIAN_WINDOW:
        return None, f"too few points ({len(s)})", s
    running_min = np.minimum.accumulate(s)
    diverged = np.nonzero(s > DIVERGE_FACTOR * np.maximum(running_min, 1e-12))[0]
    end = int(diverged[0]) if len(diverged) else len(s)
    if end < MEDIAN_WINDOW:
        return None, "the loss diverged from the smallest learning rate on", s
    best = int(np.argmin(s[:end]))
    drop = s[0] - s[best]
    if drop <= MIN_DROP * abs(s[0]):
        return None, f"the loss never fell by {MIN_DROP:.0%} of its start", s
    started = int(np.nonzero(s[:best + 1] <= s[0] - DESCENT_FRACTION * drop)[0][0])
    lr = max(lrs[best] / MIN_DIVISOR, lrs[started])
    return float(lr), f"the smoothed loss is lowest at lr {lrs[best]:.3g}; a tenth of it, inside the descent", s


def lr_range_test(problem: Problem, inputs, target, deadline: Deadline | None = None, steps: int = STEPS,
                  progress=None) -> LRRange:
    model = problem.fresh()
    use_user = problem.optimizer.cls is not torch.optim.LBFGS
    opt = problem.optimizer.build(model) if use_user else torch.optim.Adam(model.parameters())
    ratio = (LR_END / LR_START) ** (1 / max(1, steps - 1))

    def lr_at(i: int) -> float:
        return LR_START * ratio ** i

    first = problem.eval_loss(model, inputs, target)
    limit = max(DIVERGE_FACTOR * 5 * abs(first), 1e-8) if math.isfinite(first) else None
    losses = train(problem, model, opt, inputs, target, steps, generator(7), deadline, lr_at=lr_at, stop_above=limit)
    lrs = [lr_at(i) for i in range(len(losses))]
    suggestion, why, smoothed = suggest_lr(lrs, losses)
    if progress:
        progress()
    return LRRange(lrs=lrs, losses=losses, smoothed=[float(v) for v in smoothed], suggestion=suggestion,
                   optimizer=type(opt).__name__, why=why)


class LRRangeUnit(Experiment):
    key = "lr_range"
    share = 0.1
    panel = "lr_range"

    def run(self, ctx, deadline):
        return lr_range_test(ctx.problem, ctx.problem.inputs, ctx.problem.target, deadline,
                             progress=ctx.bar("learning-rate range", 1))

    def terminal(self, ck):
        from rich.text import Text
        lr = ck.get(self.key)
        if not lr:
            return []
        sug = f"suggested lr {fmt(lr.get('suggestion'), '.2g')}" if lr.get("suggestion") else "no suggestion"
        return [Text(f"Learning-rate range test ({lr.get('optimizer')}, {len(lr.get('lrs', []))} steps): {sug} "
                     f"— {lr.get('why', '')}")]

    def html_rows(self, ck):
        lr = ck.get(self.key)
        if not lr or lr.get("suggestion") is None:
            return []
        return [("suggested learning rate", [lr["suggestion"]])]


UNIT = LRRangeUnit()
