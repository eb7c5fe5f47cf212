"""Shapes in losses."""
from __future__ import annotations

import math

from unstuck.reportdata import Severity
from unstuck.rules.base import rule, shape
from unstuck.rules.links import WRONG_GRADIENT
from unstuck.rules.measures import cross_broadcast, line_key
from unstuck.trace import BroadcastRecord, Trace


def mismatch(rec: BroadcastRecord) -> bool:
    """A prediction/target mismatch: the broadcast array is reduced to the loss, and
    - in a built-in loss function: it is bigger than both inputs;
    - in an operator: one operand is trained (requires grad) and the other is not, each is
      stretched along an axis where the other has the same size, and not both operands had
      their stretched axes inserted by the user (`a[:, None] - b[None]`: a pairwise table)."""
    if not rec.fully_reduced:
        return False
    if rec.in_loss_fn:
        return math.prod(rec.out_shape) > max(math.prod(rec.a_shape), math.prod(rec.b_shape))
    return (rec.a_requires_grad != rec.b_requires_grad and cross_broadcast(rec.a_shape, rec.b_shape)
            and not (rec.a_explicit and rec.b_explicit))


@rule("LS001", "loss-broadcast", Severity.ERROR, "Prediction and target broadcast to a bigger array in the loss",
      explains=WRONG_GRADIENT,
      panels=("predictions", "loss"))
def loss_broadcast(self, trace: Trace):
    """
    What it detects:
        An elementwise loss (built-in such as `mse_loss`/`l1_loss`, or hand-written such as
        `(p - y) ** 2`, `(p - y).abs()`, weighted or summed forms) whose two operands have
        different shapes that broadcast into a *bigger* array, which is then reduced to the
        loss: `[N, 1]` against `[N]` gives an `[N, N]` matrix of every prediction minus
        every target. Intended broadcasting (masks, `keepdim` statistics, scalars, tables of
        pairs from two different sets) does not have this signature and stays silent, and so
        does a deliberate pairwise table whose operands both get their new axes explicitly
        (`((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)` in an RBF-kernel MMD loss,
        `x.unsqueeze(1) * y.unsqueeze(0)`), or whose operands are both trained or both fixed.

    Why it stops learning:
        The loss compares each prediction with every target, not with its own. Its value
        looks plausible, but its gradient pulls every prediction towards the mean of all
        targets, so the network learns to predict the label mean whatever the input.

    Example:
        pred = model(X)                 # [N, 1]
        loss = F.mse_loss(pred, y)      # y is [N]: broadcast to [N, N]

    Fix:
        Make the shapes equal before the loss:
        loss = F.mse_loss(pred.squeeze(-1), y)   # or y.unsqueeze(-1), or y.view_as(pred)
    """
    findings = []
    by_site: dict = {}
    for rec in trace.broadcasts:
        if mismatch(rec):
            by_site.setdefault(line_key(rec.site), []).append(rec)
    for recs in by_site.values():
        rec = recs[0]
        steps = len({r.tick for r in recs})
        a, b, out = shape(rec.a_shape), shape(rec.b_shape), shape(rec.out_shape)
        where = f"`{rec.op}`" if len(rec.op) > 1 else f"the `{rec.op}` between them"
        message = (f"Operands of shape {a} and {b} are broadcast to {out} in {where}, and that "
                   f"array is reduced to the loss ({steps} sampled step(s)). Each prediction is "
                   f"compared with every target instead of its own one.")
        if len(rec.a_shape) > len(rec.b_shape):
            fix = f"Give both the same shape, e.g. squeeze the extra axis of the {a} operand: `pred.squeeze(-1)`, or `target.view_as(pred)`."
        else:
            fix = f"Give both the same shape, e.g. squeeze the extra axis of the {b} operand: `target.squeeze(-1)`, or `pred.view_as(target)`."
        findings.append(self.finding(message, rec.site, fix, confidence=0.95,
                                     operation=rec.op, prediction_shape=rec.a_shape, target_shape=rec.b_shape,
                                     result_shape=rec.out_shape, sampled_steps=steps))
    return findings
