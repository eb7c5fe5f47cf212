"""NaN and Inf, in the data and in training."""
from __future__ import annotations

from unstuck.reportdata import Kind, Severity
from unstuck.rules.base import rule
from unstuck.rules.links import SYMPTOMS, WRONG_GRADIENT
from unstuck.rules.measures import finite
from unstuck.trace import Trace


@rule("NF001", "data-nonfinite", Severity.ERROR, "NaN or Inf in the inputs or targets",
      explains=("unscaled-inputs", "unscaled-targets") + WRONG_GRADIENT)
def data_nonfinite(self, trace: Trace):
    """
    What it detects:
        NaN or Inf values in a model's input batch or in the targets passed to a loss
        function, before any computation of the network could have produced them.

    Why it stops learning:
        One non-finite target makes the loss NaN or Inf; its gradient poisons every
        parameter in a single step, after which the network outputs NaN for everything.

    Example:
        y = torch.log(sales)        # log(0) = -inf for stores that sold nothing

    Fix:
        Clean the data before training: `torch.log1p(sales)` instead of `torch.log`,
        impute or drop missing values, and check with `torch.isfinite(t).all()`.
    """
    findings = []
    bad_targets = [c for c in trace.losses if not c.target_finite]
    if bad_targets:
        c = bad_targets[0]
        msg = (f"The targets passed to `{c.fn}` contain NaN or Inf in {len(bad_targets)} of "
               f"{len(trace.losses)} sampled loss calls.")
        findings.append(self.finding(msg, c.site, "Remove or repair non-finite targets before training, "
                                     "e.g. `torch.log1p` instead of `torch.log` on counts, and assert "
                                     "`torch.isfinite(y).all()`.", confidence=0.95,
                                     bad_calls=len(bad_targets), loss_calls=len(trace.losses)))
    bad_inputs = [r for r in trace.inputs if not r.finite]
    if bad_inputs:
        r = bad_inputs[0]
        msg = (f"The model's input batch contains NaN or Inf in {len(bad_inputs)} of {len(trace.inputs)} "
               f"sampled forward passes (input shape {list(r.shape)}).")
        findings.append(self.finding(msg, r.site, "Impute or drop missing values and check "
                                     "`torch.isfinite(x).all()` on the data set before training.",
                                     confidence=0.95, bad_batches=len(bad_inputs), batches=len(trace.inputs)))
    return findings


@rule("NF002", "nonfinite-values", Severity.WARNING, "NaN or Inf appeared during training", kind=Kind.SYMPTOM,
      explains=SYMPTOMS)
def nonfinite_values(self, trace: Trace):
    """
    What it detects:
        A loss value, a prediction or a loss passed to backward() that is NaN or Inf.
        Deliberately not flagged: predictions that hold -inf on purpose (masked logits, e.g. a
        similarity matrix whose diagonal is filled with -inf) while the loss stays finite.

    Why it stops learning:
        Once a NaN reaches the gradients, every parameter it touches becomes NaN, and the
        network never recovers.

    Example:
        loss = F.mse_loss(model(x), y)      # prints nan after a few steps

    Fix:
        Find the cause this follows from (data, learning rate, exploding gradients): see the
        findings ranked above. Guard with `torch.isfinite(loss)` checks and gradient clipping.
    """
    bad_back = [b for b in trace.backwards if not b.loss_finite]
    # A non-finite prediction matters when it makes the loss non-finite: masked logits (-inf on
    # purpose) give a finite loss and finite gradients.
    bad_pred = [c for c in trace.losses
                if (c.value is not None and not finite(c.value))
                or (c.value is None and not c.pred_finite)]
    if not bad_back and not bad_pred:
        return []
    first = min([b.tick for b in bad_back] + [c.tick for c in bad_pred])
    site = (bad_back or bad_pred)[0].site
    msg = (f"Non-finite values appeared from training step {first} on: {len(bad_back)} sampled losses passed to "
           f"backward() and {len(bad_pred)} sampled predictions were NaN or Inf.")
    return [self.finding(msg, site, "Fix the cause ranked above; then add "
                         "`assert torch.isfinite(loss)` and `torch.nn.utils.clip_grad_norm_`.",
                         confidence=0.5, first_step=first, nonfinite_losses=len(bad_back),
                         nonfinite_predictions=len(bad_pred))]
