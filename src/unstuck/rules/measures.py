"""Measures that several rules read off a Trace: loss families, the source-line key,
finiteness, the optimizer that stepped, layer gradient ratios, broadcast geometry and
whether a loss input's rows are (log-)probabilities.

Plain functions of trace records; every deciding number is a parameter that the calling
rule passes from its own thresholds.
"""
from __future__ import annotations

import math

from unstuck.trace import Location, LossCall, OptimizerRecord, Shape, StepRecord, Trace

# Losses that compare a prediction with a target value (not a class or a probability).
REGRESSION_LOSSES = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss")
# Lookup tables get sparse gradients: their gradient norm says nothing about depth.
NOT_DEPTH = ("Embedding", "EmbeddingBag")


def line_key(site: Location | None) -> tuple[str, int] | None:
    """Records made at the same source line share this key (None: no user line known)."""
    return (site.file, site.line) if site is not None else None


def finite(x: float | None) -> bool:
    """A number that is neither NaN nor +-Inf (None is not finite)."""
    return x is not None and math.isfinite(x)


def is_nan(x: float | None) -> bool:
    return x is not None and math.isnan(x)


def stepping_optimizer(trace: Trace, steps: list[StepRecord] | None = None) -> OptimizerRecord | None:
    """The optimizer that actually stepped: the one with most of `steps` (all sampled steps by
    default), else the one that stepped most, else the first one created."""
    opts = trace.optimizers
    if not opts:
        return None
    counts: dict[int, int] = {}
    for s in trace.steps if steps is None else steps:
        counts[s.opt] = counts.get(s.opt, 0) + 1
    if counts:
        best = max(counts, key=lambda k: (counts[k], -k))
        if best in opts:
            return opts[best]
    return max(opts.values(), key=lambda o: (o.steps, -o.key))


def layer_ratios(trace: Trace, min_layers: float) -> list[float]:
    """Per sampled step, the first weight layer's gradient norm over the last one's (by the order
    in which their modules first ran), for steps with at least `min_layers` weight layers. Layers
    that ran on the same input as the first one are parallel branches at the same depth
    (attention's query, key and value projections): the largest of them stands for the first."""
    ratios = []
    for s in trace.steps:
        norms = [(trace.params[p].layer_order, trace.params[p].input_group, n) for p, n in s.layer_grad_norms
                 if p in trace.params and trace.params[p].layer_order >= 0
                 and trace.params[p].module_type not in NOT_DEPTH]
        if len(norms) < min_layers:
            continue
        norms.sort()
        group = norms[0][1]
        first = max(n for _, g, n in norms if g == group) if group >= 0 else norms[0][2]
        last = norms[-1][2]
        if last > 0:
            ratios.append(first / last)
    return ratios


def aligned(a: Shape, b: Shape) -> tuple[Shape, Shape]:
    """Both shapes padded on the left with 1s to the same rank, as broadcasting aligns them."""
    n = max(len(a), len(b))
    return (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)


def cross_broadcast(a: Shape, b: Shape) -> bool:
    """Each operand is stretched along an axis where the other has the same size: [N] against
    [N, 1] gives [N, N]. Masks, keepdim statistics, scalars and tables of pairs from two
    different sets do not have this signature."""
    a, b = aligned(a, b)
    a_stretched = {sb for sa, sb in zip(a, b) if sa == 1 and sb > 1}
    b_stretched = {sa for sa, sb in zip(a, b) if sb == 1 and sa > 1}
    return bool(a_stretched & b_stretched)


def rows_are_probabilities(c: LossCall, negative_tol: float, sum_tol: float) -> bool:
    """Every row of the loss input is non-negative and sums to 1, within the tolerances."""
    return (c.pred_min is not None and c.row_sum_error is not None
            and c.pred_min >= -negative_tol and c.row_sum_error < sum_tol)


def rows_are_log_probabilities(c: LossCall, positive_tol: float, sum_tol: float) -> bool:
    """Every row of the loss input is <= 0 and exponentiates to a probability vector."""
    return (c.pred_max is not None and c.row_exp_sum_error is not None
            and c.pred_max <= positive_tol and c.row_exp_sum_error < sum_tol)
