"""The learning rate and its schedule, judged on what each step does to the parameters."""
from __future__ import annotations

import math
import statistics

from unstuck.reportdata import Severity
from unstuck.rules.base import needs_optimizer, needs_steps, rule
from unstuck.rules.health import EXPLODING_AT_INIT, init_gradient_ratio
from unstuck.rules.links import NO_UPDATE, SYMPTOMS
from unstuck.rules.measures import finite, stepping_optimizer
from unstuck.rules.symptoms import CONSTANT_LEVEL, at_constant_level
from unstuck.trace import OptimizerRecord, StepRecord, Trace

HIGH_UPDATE_RATIO = 0.05  # ||delta p|| / ||p|| per step above this is a violent update
LOW_UPDATE_RATIO = 1e-5  # below this the parameters barely move
DIVERGED = 1.0  # late loss / the untrained network's first loss at or above this: diverged
COLLAPSE_FACTOR = 1e-4  # lr below this fraction of its initial value is "collapsed"
COLLAPSE_SHARE = 0.5  # ... for at least this share of the steps
EARLY_CUT_FACTOR = 1e-2  # or at most this fraction of its peak so far (two 10x cuts) ...
EARLY_CUT_SHARE = 0.1  # ... within this first share of the steps, and below it to the end
MIN_EARLY_CUT_STEPS = 100  # steps (learning rates) needed before judging an early cut
EARLY_CUT_DROP = 3.0  # ... which has one step that lowers the lr this many times or more (a milestone)
EARLY_STEPS = 10  # sampled steps used to judge the initial learning rate
LOSS_PROGRESS = 0.5  # a loss that fell below this share of its first value is learning: not too low
MIN_JUDGED_STEPS = 3  # judged steps (among the early ones) needed before judging the update size
MIN_STEPS = 6  # training steps needed before judging lr-too-high / lr-too-low
MIN_LOSSES = 6  # losses needed before calling the run diverged
LATE_LOSSES = 3  # the last losses whose median is the late loss
MIN_SCHEDULE_STEPS = 10  # learning rates (one per step) needed before judging the schedule
JUDGED_GRAD_SHARE = 0.5  # a judged step has gradients on more than this share of its trainable elements


def _losses(trace: Trace) -> list[float]:
    return [b.loss_value for b in trace.backwards if b.loss_value is not None and not b.in_step]


def _diverged(losses: list[float], t) -> bool:
    """The late loss is no better than the untrained network's first loss (or is not finite)."""
    if len(losses) < t.MIN_LOSSES:
        return False
    if not all(finite(v) for v in losses):
        return True
    return statistics.median(losses[-t.LATE_LOSSES:]) >= t.DIVERGED * losses[0]


SLOW_UPDATE_RATIO = 1e-4  # below this (and above LOW_UPDATE_RATIO) slow, when the loss learned nothing

WARMUP_GROWTH = 10.0  # the lr later exceeds the judged steps' lr by this factor: a warm-up


def _judged(trace: Trace, t) -> list[StepRecord]:
    """The steps whose gradients reach most trainable parameters (a step that has nothing to
    apply says nothing about the learning rate)."""
    return [s for s in trace.steps if s.update_ratio is not None and s.grad_norm
            and s.no_grad_elems < t.JUDGED_GRAD_SHARE * (s.elems - s.frozen_elems)]


def _judged_steps(trace: Trace, t, opt: int | None = None) -> list[StepRecord]:
    """The first EARLY_STEPS judged steps (of optimizer `opt`, or of any)."""
    return [s for s in _judged(trace, t) if opt is None or s.opt == opt][:t.EARLY_STEPS]


def _owned_losses(trace: Trace) -> dict[int, list[float]] | None:
    """Each optimizer's losses: a backward pass belongs to the optimizers that step after it,
    before the next backward pass (a GAN's discriminator and generator each own their own loss;
    an encoder's and a head's optimizers stepping after one backward share it). Read from the
    sampled call order; None when it cannot be matched with the backward records."""
    calls = [e for e in trace.events if e.kind == "backward"]
    if not calls or len(calls) != len(trace.backwards):
        return None
    owners: list[set[int]] = []
    for e in trace.events:
        if e.kind == "backward" and not e.in_step:
            owners.append(set())
        elif e.kind == "backward":
            owners.append(owners[-1] if owners else set())  # a closure's pass inside step(): not a loss
        elif e.kind == "step" and e.opt is not None and owners:
            owners[-1].add(e.opt)
    owned: dict[int, list[float]] = {}
    for b, keys in zip(trace.backwards, owners):
        if b.loss_value is not None and not b.in_step:
            for key in keys:
                owned.setdefault(key, []).append(b.loss_value)
    return owned


def _per_optimizer(trace: Trace, t) -> list[tuple[OptimizerRecord, list[StepRecord], list[float]]]:
    """(optimizer, its judged steps, its losses) for every optimizer with judged steps: two
    optimizers (a GAN's, an encoder's and a head's with different learning rates) are judged
    apart, never pooled. With one optimizer, every loss is its own."""
    keys = sorted({s.opt for s in _judged(trace, t)})
    if len(keys) <= 1:
        steps = _judged_steps(trace, t)
        opt = stepping_optimizer(trace, steps)
        return [(opt, steps, _losses(trace))] if opt is not None else []
    owned = _owned_losses(trace)
    return [(trace.optimizers[key], _judged_steps(trace, t, key),
             owned.get(key, []) if owned is not None else _losses(trace))
            for key in keys if key in trace.optimizers]


def _judgeable(self, groups, t):
    """The groups with at least MIN_JUDGED_STEPS judged steps; skipped (not passed) when none has."""
    self.require(max((len(steps) for _, steps, _ in groups), default=0), t.MIN_JUDGED_STEPS, "judged steps")
    return [g for g in groups if len(g[1]) >= t.MIN_JUDGED_STEPS]


def _in_warmup(opt: OptimizerRecord, steps, t) -> bool:
    """The judged steps ran at a fraction of the lr the optimizer's schedule reaches later."""
    lrs = [s.lr for s in steps if s.lr is not None]
    peak = max(opt.lrs, default=None)
    return bool(lrs) and peak is not None and peak > t.WARMUP_GROWTH * statistics.median(lrs)


def needs_updates(trace: Trace) -> str | None:
    """An optimizer, or parameters updated by hand (measured on sampled updates)."""
    if trace.optimizers or any(m.update_ratio is not None for m in trace.manual_checks):
        return None
    return "no optimizer was created and no manual update was measured"


@rule("LR001", "lr-too-high", Severity.ERROR, "The learning rate is too high",
      requires=(needs_updates, needs_steps("MIN_STEPS")),
      explains=("exploding-gradients", "nonfinite-values", "dead-relu") + SYMPTOMS,
      thresholds={"HIGH_UPDATE_RATIO": HIGH_UPDATE_RATIO, "DIVERGED": DIVERGED, "MIN_STEPS": MIN_STEPS,
                  "EARLY_STEPS": EARLY_STEPS, "MIN_JUDGED_STEPS": MIN_JUDGED_STEPS,
                  "JUDGED_GRAD_SHARE": JUDGED_GRAD_SHARE, "MIN_LOSSES": MIN_LOSSES, "LATE_LOSSES": LATE_LOSSES,
                  "EXPLODING_AT_INIT": EXPLODING_AT_INIT, **CONSTANT_LEVEL},
      panels=("updates", "loss"))
def lr_too_high(self, trace: Trace):
    """
    What it detects:
        Optimizer steps that change the parameters by more than {HIGH_UPDATE_RATIO:.0%} of
        their norm each (median of ||delta p|| / ||p|| over the first {EARLY_STEPS} sampled
        steps; 1e-3 to 1e-2 is typical; ||delta p|| is estimated on up to 4,096 evenly spaced
        values of each large parameter), while the loss ends no better than the untrained
        network's first loss, turns NaN, or stays at the level of a constant prediction
        (`loss-plateau`'s measure). With several optimizers (a GAN's, an encoder's and
        a head's) each is judged on its own steps and on the losses it steps on. Parameters
        updated by hand, without an optimizer, are judged the same way on their measured
        updates.

    Why it stops learning:
        Each step jumps across the valley it should descend into: the loss oscillates or
        diverges, ReLUs die, and the weights can overflow to Inf/NaN.

    Example:
        opt = torch.optim.Adam(model.parameters(), lr=10.0)

    Fix:
        Lower the learning rate by 10x steps until the loss falls steadily (Adam: 1e-4 to
        3e-3; SGD: 1e-3 to 1e-1), or find it with a learning-rate range test (raise the lr
        exponentially over ~100 steps and take a value 10x below where the loss blows up);
        add warm-up and gradient clipping for large models.
    """
    t = self.thresholds
    if not trace.optimizers:
        return _manual_too_high(self, trace, t)
    findings = []
    for opt, steps, losses in _judgeable(self, _per_optimizer(trace, t), t):
        ratios = [s.update_ratio for s in steps]
        ratio = statistics.median(ratios)
        if ratio <= t.HIGH_UPDATE_RATIO or not (_diverged(losses, t) or at_constant_level(trace, t)):
            continue
        init = init_gradient_ratio(trace)
        if init is not None and init > t.EXPLODING_AT_INIT:
            return []  # the gradient itself is enormous before any step: exploding gradients, not the lr
        lr = f" (lr={opt.initial_lr:g})" if opt.initial_lr is not None else ""
        ended = (f"the loss went from {losses[0]:.4g} at the first step to "
                 f"{statistics.median(losses[-t.LATE_LOSSES:]):.4g} late in training" if _diverged(losses, t) else
                 "late in training the loss is still at the level of a constant prediction")
        msg = (f"Each {opt.cls} step{lr} changes the parameters by {ratio:.2g} of their norm (median over "
               f"{len(ratios)} early sampled steps; threshold {t.HIGH_UPDATE_RATIO:g}, typical 1e-3..1e-2), and "
               f"{ended}.")
        findings.append(self.finding(msg, opt.site, "Lower the learning rate 10x at a time until the loss falls "
                                     "steadily; add `torch.nn.utils.clip_grad_norm_` for stability.",
                                     confidence=0.8, update_ratio=ratio, lr=opt.initial_lr))
    return findings


def _manual_too_high(self, trace: Trace, t):
    """LR001 for parameters updated by hand (`w -= lr * w.grad`, `p.data.sub_(...)`): the same
    update size and divergence, measured on the parameters themselves."""
    ratios = [m.update_ratio for m in trace.manual_checks if m.update_ratio is not None][:t.EARLY_STEPS]
    self.require(len(ratios), t.MIN_JUDGED_STEPS, "measured manual updates")
    ratio = statistics.median(ratios)
    losses = _losses(trace)
    if ratio <= t.HIGH_UPDATE_RATIO or not _diverged(losses, t):
        return []
    init = init_gradient_ratio(trace)
    if init is not None and init > t.EXPLODING_AT_INIT:
        return []
    site = next((b.site for b in trace.backwards if b.site is not None), None)
    late = statistics.median(losses[-t.LATE_LOSSES:])
    msg = (f"Each manual update (no optimizer) changes the parameters by {ratio:.2g} of their norm (median over "
           f"{len(ratios)} early sampled updates; threshold {t.HIGH_UPDATE_RATIO:g}, typical 1e-3..1e-2), and the "
           f"loss went from {losses[0]:.4g} at the first step to {late:.4g} late in training.")
    return [self.finding(msg, site, "Lower the step size of the update (`w -= lr * w.grad`) 10x at a time until the "
                         "loss falls steadily.", confidence=0.75, update_ratio=ratio)]


@rule("LR002", "lr-too-low", Severity.WARNING, "The learning rate is too low: parameters barely move",
      requires=(needs_optimizer, needs_steps("MIN_STEPS")), explains=SYMPTOMS,
      thresholds={"LOW_UPDATE_RATIO": LOW_UPDATE_RATIO, "EARLY_STEPS": EARLY_STEPS, "MIN_STEPS": MIN_STEPS,
                  "MIN_JUDGED_STEPS": MIN_JUDGED_STEPS, "JUDGED_GRAD_SHARE": JUDGED_GRAD_SHARE,
                  "WARMUP_GROWTH": WARMUP_GROWTH, "LOSS_PROGRESS": LOSS_PROGRESS, "MIN_LOSSES": MIN_LOSSES,
                  "LATE_LOSSES": LATE_LOSSES, "SLOW_UPDATE_RATIO": SLOW_UPDATE_RATIO, **CONSTANT_LEVEL},
      panels=("updates", "loss"))
def lr_too_low(self, trace: Trace):
    """
    What it detects:
        Optimizer steps that change even the fastest-moving weight tensor (linear,
        convolutional or recurrent; ||delta W|| / ||W||) by less than {LOW_UPDATE_RATIO} of
        its norm (median over the first {EARLY_STEPS} sampled steps, while gradients are
        non-zero), so thousands of steps move the weights less than a single healthy step;
        or by less than {SLOW_UPDATE_RATIO} while the loss stays at the level of a constant
        prediction (`loss-plateau`'s measure).
        A warm-up (the schedule later raises the lr more than {WARMUP_GROWTH}-fold) and a
        loss that still falls below {LOSS_PROGRESS} of its first value stay silent. With
        several optimizers each is judged on its own steps, schedule and losses.

    Why it stops learning:
        The loss decreases so slowly that training looks stuck; the run ends long before the
        model gets anywhere.

    Example:
        opt = torch.optim.SGD(model.parameters(), lr=1e-6)

    Fix:
        Raise the learning rate (SGD: 1e-2 to 1e-1; Adam: 1e-4 to 3e-3), or find it with a
        learning-rate range test.
    """
    t = self.thresholds
    findings = []
    for opt, steps, losses in _judgeable(self, _per_optimizer(trace, t), t):
        ratios = [s.update_ratio for s in steps]
        ratio = statistics.median(ratios)
        # The fastest-moving weight tensor (linear, convolutional or recurrent) of each step: biases
        # and norm scales move relatively more and can hide weights that barely move.
        layer = [max(r for _, r in s.layer_update_ratios) for s in steps if s.layer_update_ratios]
        weights = len(layer) >= t.MIN_JUDGED_STEPS
        if weights:
            ratio = statistics.median(layer)
        slow = ratio < t.SLOW_UPDATE_RATIO and at_constant_level(trace, t)
        if (ratio >= t.LOW_UPDATE_RATIO and not slow) or _in_warmup(opt, steps, t) or _progressing(losses, t):
            continue
        lr = f" (lr={opt.initial_lr:g})" if opt.initial_lr is not None else ""
        what = "its fastest-moving weight tensor" if weights else "the parameters"
        msg = (f"Each {opt.cls} step{lr} changes {what} by only {ratio:.2g} of its norm (median over "
               f"{len(ratios)} early sampled steps; threshold {t.LOW_UPDATE_RATIO:g}, typical 1e-3..1e-2).")
        findings.append(self.finding(msg, opt.site, "Raise the learning rate 10x at a time (or run a "
                                     "learning-rate range test).", confidence=0.7, update_ratio=ratio,
                                     lr=opt.initial_lr))
    return findings


def _progressing(losses: list[float], t) -> bool:
    """The loss still falls well: the late loss is below LOSS_PROGRESS of the first."""
    if len(losses) < t.MIN_LOSSES or losses[0] <= 0:
        return False
    return statistics.median(losses[-int(t.LATE_LOSSES):]) < t.LOSS_PROGRESS * losses[0]


@rule("LR003", "lr-schedule-collapse", Severity.ERROR, "The schedule drives the learning rate to ~0 early",
      requires=(needs_optimizer, needs_steps("MIN_SCHEDULE_STEPS")), explains=NO_UPDATE,
      thresholds={"COLLAPSE_FACTOR": COLLAPSE_FACTOR, "COLLAPSE_SHARE": COLLAPSE_SHARE,
                  "EARLY_CUT_FACTOR": EARLY_CUT_FACTOR, "EARLY_CUT_SHARE": EARLY_CUT_SHARE,
                  "MIN_EARLY_CUT_STEPS": MIN_EARLY_CUT_STEPS, "EARLY_CUT_DROP": EARLY_CUT_DROP,
                  "MIN_SCHEDULE_STEPS": MIN_SCHEDULE_STEPS},
      panels=("learning_rate", "loss"))
def lr_schedule_collapse(self, trace: Trace):
    """
    What it detects:
        A learning rate that falls below {COLLAPSE_FACTOR} times its initial value and stays
        there for at least {COLLAPSE_SHARE:.0%} of the training steps, e.g. an epoch-based schedule (`ExponentialLR`,
        `StepLR`) stepped after every batch; or one that is cut to {EARLY_CUT_FACTOR:g} of its peak or less
        within the first {EARLY_CUT_SHARE:.0%} of the steps and never comes back up (a run of at least
        {MIN_EARLY_CUT_STEPS} steps) by a step schedule's cuts (one step lowers it {EARLY_CUT_DROP:g}-fold or more), e.g.
        `MultiStepLR` milestones written in epochs and passed after a few dozen batches (a
        warning: the run goes on, slowly). A cosine schedule that reaches its minimum at the last step,
        or step decays spread over the run, are correct and stay silent.

    Why it stops learning:
        After the collapse every step is a no-op: training effectively stopped long before
        the loop ended, with the loss frozen wherever it was.

    Example:
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        for x, y in loader:
            ...; opt.step(); sched.step()        # per batch, not per epoch

    Fix:
        Step epoch-based schedulers once per epoch (after the inner loop), or size the
        schedule in batches (`T_max=epochs * len(loader)`).
    """
    t = self.thresholds
    findings = []
    for opt in trace.optimizers.values():
        lrs = opt.lrs
        if len(lrs) < t.MIN_SCHEDULE_STEPS:
            continue
        severity = Severity.ERROR
        if lrs[0] and (at := _collapse(lrs, t)) is not None:
            msg = (f"The learning rate of {opt.cls} fell from {lrs[0]:.3g} to {lrs[at]:.3g} (below "
                   f"{t.COLLAPSE_FACTOR:g} of its start) at step {at} of {len(lrs)}, and stayed there: the last "
                   f"{len(lrs) - at} steps ({(len(lrs) - at) / len(lrs):.0%}) barely changed anything.")
            start = lrs[0]
        elif (cut := _early_cut(lrs, t)) is not None:
            at, start = cut
            msg = (f"The learning rate of {opt.cls} was cut from {start:.3g} to {lrs[at]:.3g} ("
                   f"{t.EARLY_CUT_FACTOR:g} of its peak or less) by step {at} of {len(lrs)}, the first "
                   f"{max(at, 1) / len(lrs):.0%} of the run, and never came back: the schedule was done before "
                   f"training was, and the last {len(lrs) - at} steps ran at {lrs[-1]:.3g}.")
            severity = Severity.WARNING  # 1e-2 of the peak is slow, not stopped
        else:
            continue
        findings.append(self.finding(msg, opt.site, "Step epoch-based schedulers once per epoch, or size the "
                                     "schedule in batches (e.g. `T_max=epochs * len(loader)`).",
                                     severity=severity, confidence=0.8, initial_lr=start, final_lr=lrs[-1], collapsed_at=at, steps=len(lrs)))
    return findings


def _collapse(lrs, t) -> int | None:
    """The step from which the lr stays below COLLAPSE_FACTOR of its start, if that is at least
    COLLAPSE_SHARE of the steps."""
    floor = lrs[0] * t.COLLAPSE_FACTOR
    at = next((i for i, lr in enumerate(lrs) if lr < floor), None)
    if at is None or len(lrs) - at < t.COLLAPSE_SHARE * len(lrs) or any(lr >= floor for lr in lrs[at:]):
        return None
    return at


def _at_most(value: float, limit: float) -> bool:
    return value <= limit or math.isclose(value, limit)


def _early_cut(lrs, t) -> tuple[int, float] | None:
    """(step, peak before it) where the lr first fell to EARLY_CUT_FACTOR of its peak so far
    or less (or equal up to float rounding: 0.01 * 0.1 * 0.1), if that is within the first EARLY_CUT_SHARE of a run of MIN_EARLY_CUT_STEPS or more
    and the lr stays below that level to the end (a warm restart or a cyclic schedule does not),
    and the fall has a step schedule's cut: one step that lowers the lr EARLY_CUT_DROP-fold or
    more (a 1/t decay, Robbins-Monro's, halves it at most, at its first step)."""
    if len(lrs) < t.MIN_EARLY_CUT_STEPS:
        return None
    peak = 0.0
    for i, lr in enumerate(lrs[:int(t.EARLY_CUT_SHARE * len(lrs)) + 1]):
        peak = max(peak, lr)
        floor = peak * t.EARLY_CUT_FACTOR
        if peak > 0 and _at_most(lr, floor):
            stays = all(_at_most(v, floor) for v in lrs[i:])
            stepped = any(b > 0 and a >= t.EARLY_CUT_DROP * b for a, b in zip(lrs[:i], lrs[1:i + 1]))
            return (i, peak) if stays and stepped else None
    return None
