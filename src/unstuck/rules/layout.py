"""Tensor layouts: axes that are read in another order than the data holds them."""
from __future__ import annotations

from collections import Counter

from unstuck.reportdata import Severity
from unstuck.rules.base import rule, shape
from unstuck.rules.links import NO_UPDATE
from unstuck.rules.losses import batch_sizes
from unstuck.trace import Trace

MIN_RESHAPE_STEPS = 2  # sampled training steps showing the same reordering reshape
MIN_LAYOUT_STEPS = 2  # sampled training steps whose sequence layer reads the batch as time
# samples or features mixed together: the model cannot tell its inputs apart
EXPLAINS = ("vanishing-gradients", "input-ignored") + NO_UPDATE


@rule("LS007", "view-as-transpose", Severity.ERROR, "`view`/`reshape` used where `permute` was meant",
      explains=EXPLAINS, thresholds={"MIN_RESHAPE_STEPS": MIN_RESHAPE_STEPS})
def view_as_transpose(self, trace: Trace):
    """
    What it detects:
        A `view` or `reshape` in your code, on a tensor that is not a parameter, that keeps an
        axis by its size but moves it in memory order: a size that appears once in the input
        and once in the output, at a different offset (the product of the sizes before it).
        `[B, T, F]` viewed as `[T, B, F]`, an image `[B, C, H, W]` viewed as `[B, H*W, C]`, a
        bidirectional RNN's state `[2, B, H]` viewed as `[B, 2*H]`. Seen on at least
        {MIN_RESHAPE_STEPS} sampled training steps at the same line, or once on a whole dataset
        (more rows than any training batch) before training. A reshape that flattens
        axes (`x.view(B, -1)`), splits one (`x.view(B, T, heads, d)`) or merges neighbours
        (`x.reshape(B * T, F)`) keeps every axis where it is and stays silent.

    Why it stops learning:
        `view`/`reshape` keep the memory order and only re-cut it: the sizes fit, but each
        "time step" now holds values of several samples, or each "channel" a strip of pixels.
        The model learns from scrambled inputs, so it plateaus far above what it could reach.

    Example:
        x = x.view(x.size(1), x.size(0), -1)     # [B, T, F] -> meant [T, B, F]
        tokens = feats.view(B, H * W, C)         # [B, C, H, W] -> meant channels last

    Fix:
        Move axes with `permute`/`transpose` first (then `.contiguous()` if a `view` follows):
        x = x.permute(1, 0, 2)                              # [B, T, F] -> [T, B, F]
        tokens = feats.flatten(2).transpose(1, 2)           # [B, C, H, W] -> [B, H*W, C]
        h = torch.cat([h_n[0], h_n[1]], dim=1)              # [2, B, H] -> [B, 2*H]
    """
    by_site: dict[tuple, list] = {}
    for r in trace.reshapes:
        by_site.setdefault((r.site, r.fn), []).append(r)
    largest_batch = max((n for sizes in batch_sizes(trace).values() for n in sizes), default=None)
    findings = []
    for (site, fn), recs in by_site.items():
        ticks = sorted({r.tick for r in recs})
        # a whole dataset is reshaped once, before training: more rows than any training batch
        dataset = largest_batch is not None and all(r.in_shape[0] > largest_batch for r in recs)
        if len(ticks) < self.thresholds.MIN_RESHAPE_STEPS and not dataset:
            continue
        first = recs[0]
        order = _permutation(first.in_shape, first.out_shape)
        hint = f"; if the axes were meant to move, `permute({', '.join(map(str, order))})`" if order else ""
        moved = (f" The axis of size {first.moved} keeps its size but not its place in memory."
                 if first.moved else "")
        msg = (f"`{fn}` turns {shape(first.in_shape)} into {shape(first.out_shape)} on {len(ticks)} sampled "
               f"training steps.{moved} `{fn}` does not move axes, it re-cuts the memory, so values of different "
               f"rows are interleaved{hint}.")
        findings.append(self.finding(msg, site, "Move axes with `permute`/`transpose` before the `view`/`reshape`; "
                                     "keep `view`/`reshape` for flattening, splitting or merging neighbouring axes.",
                                     confidence=0.85, steps=len(ticks), in_shape=first.in_shape,
                                     out_shape=first.out_shape, moved_size=first.moved))
    return findings


def _permutation(before, after) -> tuple[int, ...] | None:
    """The `permute` order that gives `after` from `before`, when the sizes say it uniquely."""
    if len(set(before)) != len(before) or sorted(before) != sorted(after):
        return None
    return tuple(before.index(d) for d in after)


@rule("LS008", "sequence-axis-swapped", Severity.ERROR, "A sequence layer reads the batch axis as time",
      explains=EXPLAINS, thresholds={"MIN_LAYOUT_STEPS": MIN_LAYOUT_STEPS})
def sequence_axis_swapped(self, trace: Trace):
    """
    What it detects:
        An RNN/LSTM/GRU or `MultiheadAttention` layer whose declared layout (`batch_first`)
        does not match the tensor it gets: on at least {MIN_LAYOUT_STEPS} sampled training
        steps, the axis the layer reads as *time* has the batch size (the first axis of the
        loss's targets on the same step), while the axis it reads as the batch does not, and
        on no sampled step does the layer's batch axis have the batch size. Steps whose batch
        and time sizes are equal say nothing and are not counted; a model that really is
        time-major (`[T, B, F]` into `batch_first=False`) stays silent.

    Why it stops learning:
        The layer runs its recurrence (or attention) across the samples of the batch instead
        of along each sequence: every output mixes different samples, and what a sample's
        own order carries is lost. The loss plateaus, often near a constant prediction.

    Example:
        lstm = nn.LSTM(16, 32)                   # batch_first=False: expects [T, B, F]
        out, _ = lstm(x)                         # x is [B, T, F]

    Fix:
        Declare the layout the data has: `nn.LSTM(16, 32, batch_first=True)` for `[B, T, F]`
        (and `nn.MultiheadAttention(..., batch_first=True)`), or `x.transpose(0, 1)` before
        a time-major layer.
    """
    batch: dict[int, int] = {}
    for c in trace.losses:
        if c.training and c.target_shape and c.tick not in batch:
            batch[c.tick] = c.target_shape[0]
    swapped, right = [], []
    for r in trace.sequences:
        n = batch.get(r.tick)
        if n is None or r.batch_size == r.time_size:
            continue
        if r.batch_size == n:
            right.append(r)
        elif r.time_size == n:
            swapped.append(r)
    ticks = sorted({r.tick for r in swapped})
    if right or len(ticks) < self.thresholds.MIN_LAYOUT_STEPS:
        return []
    first = swapped[0]
    sizes = Counter(batch[t] for t in ticks)
    varying = (f" The batch size changed ({', '.join(str(n) for n in sorted(sizes))}) and the layer's time axis "
               f"followed it." if len(sizes) > 1 else "")
    layout = "[B, T, F]" if first.batch_first else "[T, B, F]"
    fix = ("Set `batch_first=False` or pass `x.transpose(0, 1)`." if first.batch_first else
           "Set `batch_first=True` on the layer (the data is `[B, T, F]`), or pass `x.transpose(0, 1)`.")
    msg = (f"`{first.module_type}` (batch_first={first.batch_first}) expects {layout} but got "
           f"{shape(first.shape)} on {len(ticks)} sampled training steps: the axis it reads as time has the "
           f"batch size {batch[first.tick]} of the loss's targets, so it runs across the samples of the batch."
           + varying)
    return [self.finding(msg, first.defined_at or first.site, fix, confidence=0.85,
                         shows_at=first.site, steps=len(ticks), shape=first.shape,
                         batch_first=first.batch_first)]
