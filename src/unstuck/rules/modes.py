"""Train and eval modes of dropout and batch-norm layers."""
from __future__ import annotations

from unstuck.reportdata import Severity
from unstuck.rules.base import KEPT_NAMES, SHOWN_NAMES, needs_optimizer, rule
from unstuck.rules.links import WRONG_GRADIENT
from unstuck.trace import Trace

MIN_TICKS_SEEN = 2  # sampled steps showing the wrong mode
MIN_EVALUATIONS = 2  # separate evaluations (at different training steps) in training mode
DROPOUT_TYPES = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")


@rule("MD001", "eval-mode-training", Severity.ERROR, "Training runs with dropout/batch-norm in eval mode",
      requires=(needs_optimizer,), explains=("unscaled-inputs",) + WRONG_GRADIENT,  # BatchNorm on frozen statistics
      thresholds={"MIN_TICKS_SEEN": MIN_TICKS_SEEN})
def eval_mode_training(self, trace: Trace):
    """
    What it detects:
        Forward passes that train (gradients on, an optimizer stepping) while every
        dropout and batch-norm layer of the model is in eval mode, e.g. `model.eval()`
        called once before training, or after the first validation and never undone.
        Freezing batch-norm on purpose (only the norm layers in eval, or norm layers whose
        parameters are frozen) stays silent, and so does a frozen part kept in eval mode on
        purpose: dropout inside a submodule whose parameters are all frozen (a linear probe
        or adapter on top of a frozen backbone).

    Why it stops learning:
        Dropout no longer regularises, and batch-norm normalises with running statistics
        that are never updated, instead of the batch's: training is unstable or overfits,
        and the model differs from the one you think you are training.

    Example:
        model.eval()                  # "for inference", then trained further
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)

    Fix:
        Call `model.train()` at the start of every training epoch and `model.eval()` only
        around validation.
    """
    step_ticks = {s.tick for s in trace.steps}
    ticks: dict[int, list] = {}
    for m in trace.modes:
        if m.grad_enabled and m.tick in step_ticks:
            ticks.setdefault(m.tick, []).append(m)
    bad = []
    for tick, mods in ticks.items():
        if all(not m.training for m in mods) and any(
                (m.params_trainable or "Dropout" in m.module_type) and not m.frozen_parent for m in mods):
            bad.append(tick)
    # once the mode is wrong it tends to stay wrong: judge the latest sampled training steps
    if len(bad) < self.thresholds.MIN_TICKS_SEEN or max(ticks) not in bad:
        return []
    mods = ticks[bad[0]]
    names = sorted({f"{m.module} ({m.module_type})" for m in mods})
    site = next((s.site for s in trace.steps if s.tick == bad[0]), None)
    switched = eval_call(trace, bad[0], {m.module_type for m in mods})
    msg = (f"On {len(bad)} of {len(ticks)} sampled training steps every dropout/batch-norm layer was in eval mode "
           f"while the optimizer stepped: {', '.join(names[:SHOWN_NAMES])}.")
    return [self.finding(msg, switched or site, "Call `model.train()` before the training loop (and after each "
                         "validation pass).", confidence=0.85, steps=len(bad), modules=tuple(names[:KEPT_NAMES]),
                         shows_at=site)]


def eval_call(trace: Trace, tick: int, types: set[str]):
    """The user's `eval()` / `train(False)` call that left modules of these types in eval mode
    at `tick`: the latest one before it, unless a `train()` call came after it."""
    last = None
    for c in trace.mode_calls:
        if c.tick > tick:
            break
        if types & set(c.sensitive_types):
            last = None if c.training else c
    return last.site if last else None


@rule("MD002", "train-mode-evaluation", Severity.ERROR, "Evaluation runs with dropout/batch-norm in training mode",
      thresholds={"MIN_EVALUATIONS": MIN_EVALUATIONS})
def train_mode_evaluation(self, trace: Trace):
    """
    What it detects:
        Forward passes without gradients (`torch.no_grad()`/`inference_mode()`, i.e.
        validation, testing or prediction) while dropout or batch-norm layers are in
        training mode: a recurring evaluation (at two or more points of training, e.g. after
        every epoch) or the final one after the last training step. A single diagnostic
        forward before or between epochs (printing the untrained loss with the model in its
        default train mode) misleads no one and stays silent.

        Deliberately not flagged: layers of a copy that the script updates itself and no
        gradient trains (MoCo's momentum key encoder, a mean teacher: their training mode is
        the method's); dropout layers that the script switched back to training mode one by
        one after `eval()`, in that step (Monte Carlo dropout: sampling is the point); no-gradient forwards
        whose input is attached to an autograd graph. Those are part of a training step, not an evaluation: activation checkpointing
        with `use_reentrant=True` runs its segment under no-grad and re-runs it with
        gradients during backward, and any custom `autograd.Function` runs its forward with
        gradients off. Forwards re-run by the autograd engine during backward are not
        counted as model calls either.

    Why it stops learning:
        Validation numbers are wrong: dropout drops units at random, and batch-norm
        normalises with the evaluation batch's own statistics and overwrites its running
        statistics with the validation data. Decisions made on them (early stopping,
        model selection, learning-rate schedules) are made on noise.

    Example:
        with torch.no_grad():
            val_acc = (model(X_val).argmax(1) == y_val).float().mean()   # model still in train()

    Fix:
        Wrap evaluation in `model.eval()` ... `model.train()`:
        model.eval()
        with torch.no_grad():
            ...
        model.train()
    """
    trained = trained_params(trace)
    moved = {m.module for m in trace.modes if m.parent_moved}
    # `layer.train()` on dropout layers themselves (after `model.eval()`), in the same step as the
    # forward: Monte Carlo dropout (an evaluation elsewhere in the run is still judged)
    sampled = {(c.tick, c.module_type) for c in trace.mode_calls if c.training and c.module_type in DROPOUT_TYPES}
    bad = [m for m in trace.modes if not m.grad_enabled and m.training and not m.graph_input
           and (not m.root or trained.intersection(trace.root_params.get(m.root, ())))
           and m.module not in moved and (m.tick, m.module_type) not in sampled]
    if not bad:
        return []
    ticks = sorted({m.tick for m in bad})
    trained = trace.step_calls or trace.backward_calls
    final = trained and ticks[-1] >= trace.ticks  # after the last training step: the reported result
    if len(ticks) < self.thresholds.MIN_EVALUATIONS and not final:
        return []  # one diagnostic forward before or between epochs (an initial loss print) misleads no one
    names = sorted({f"{m.module} ({m.module_type})" for m in bad})
    site = bad[0].site
    has_bn = any("BatchNorm" in m.module_type for m in bad)
    msg = (f"{'Batch-norm' if has_bn else 'Dropout'} layers ran in training mode inside a no-gradient "
           f"(evaluation) forward pass on {len(ticks)} sampled steps: {', '.join(names[:SHOWN_NAMES])}."
           + (" Their running statistics are overwritten with evaluation data." if has_bn else ""))
    return [self.finding(msg, site, "Call `model.eval()` before evaluating and `model.train()` afterwards.",
                         severity=Severity.ERROR if has_bn else Severity.WARNING, confidence=0.8,
                         steps=len(ticks), modules=tuple(names[:KEPT_NAMES]))]


def trained_params(trace: Trace) -> set[int]:
    """Parameters trained by gradients: held by an optimizer, or reached by a backward pass."""
    out = set(trace.grad_reached)
    for opt in trace.optimizers.values():
        out.update(opt.param_ids)
    return out
