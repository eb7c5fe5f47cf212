"""What the user sees: predictions that do not vary, a loss that does not improve."""
from __future__ import annotations

import math
import statistics

from unstuck.reportdata import Kind, Severity
from unstuck.rules.base import needs_losses, needs_steps, rule
from unstuck.rules.measures import line_key
from unstuck.trace import Trace

MIN_TICKS = 30  # training steps needed before judging where training ended up
LATE_SAMPLES = 3  # the last sampled loss calls that are judged
COLLAPSE_STD_RATIO = 0.1  # prediction spread / target spread below which predictions are "constant"
ONE_CLASS_SHARE = 0.95  # classification: share of samples predicted as the same class
MIXED_TARGETS = 0.8  # ... while the most frequent target class is at most this share
PLATEAU_RATIO = 0.9  # late loss / constant-predictor loss above which the loss is at the constant level
LATE_START_DIVISOR = 3  # the judged loss calls must come after the first 1/3 of the steps
MIN_BASELINE_EXCESS = 1e-3  # a constant's loss must exceed the perfect one by this share of itself
MIN_BATCH = 16  # target values a batch needs for its best constant to be a fair reference


def _late_training_calls(trace: Trace, t):
    """The last sampled calls of the loss that is trained: the first training-loss line among
    those whose gradient drives the update (backward() before autograd.grad; a MAML inner loss,
    differentiated with create_graph=True, only when nothing else is known), in the last third
    of the training of the optimizer created last."""
    calls = [c for c in trace.losses if c.training]
    if not calls:
        return []
    best = max(c.backprop for c in calls)
    calls = [c for c in calls if c.backprop == best]
    # Models trained one after another (a sweep, k folds), each with its own optimizer: where
    # training ended up is judged on the last one's steps only
    start = max((o.created_tick for o in trace.optimizers.values() if o.steps), default=0)
    same = [c for c in calls if line_key(c.site) == line_key(calls[0].site) and c.tick >= start]
    late_ticks = sorted({c.tick for c in same})[-t.LATE_SAMPLES:]
    if not late_ticks or late_ticks[0] < start + (trace.ticks - start) / t.LATE_START_DIVISOR:
        return []
    # one call a step: the line's first (`mse(s, y) + 0.5 * mse(s, teacher(x))` is two losses
    # against different targets on one line, each with its own constant level: never mixed)
    first: dict[int, object] = {}
    for c in same:
        if c.tick in late_ticks:
            first.setdefault(c.tick, c)
    return list(first.values())



# SY002's measure of a loss that learned nothing, for rules that judge a cause by it
CONSTANT_LEVEL = {"PLATEAU_RATIO": PLATEAU_RATIO, "MIN_BASELINE_EXCESS": MIN_BASELINE_EXCESS, "MIN_BATCH": MIN_BATCH,
                  "LATE_SAMPLES": LATE_SAMPLES, "LATE_START_DIVISOR": LATE_START_DIVISOR}


def constant_level(trace: Trace, t) -> tuple[float, list] | None:
    """The late trained loss's excess over a perfect prediction (zero, except for soft BCE
    targets) relative to a constant's, as the median over the judged late calls, and those
    calls; None with fewer than two (`t` holds CONSTANT_LEVEL)."""
    late = [c for c in _late_training_calls(trace, t) if c.value is not None and c.baseline
            and c.baseline - c.floor > t.MIN_BASELINE_EXCESS * c.baseline
            and math.prod(c.target_shape) >= t.MIN_BATCH]
    if len(late) < 2:
        return None
    return statistics.median((c.value - c.floor) / (c.baseline - c.floor) for c in late), late


def at_constant_level(trace: Trace, t) -> bool:
    """Late in training the trained loss is still at the level of the best constant prediction
    (SY002's measure, at its threshold): the run learned nothing from the inputs."""
    level = constant_level(trace, t)
    return level is not None and level[0] >= t.PLATEAU_RATIO


@rule("SY001", "prediction-collapse", Severity.WARNING, "The predictions are (nearly) constant",
      kind=Kind.SYMPTOM, requires=(needs_losses, needs_steps("MIN_TICKS")),
      explains=("loss-plateau", "below-baseline", "cannot-overfit"),
      thresholds={"COLLAPSE_STD_RATIO": COLLAPSE_STD_RATIO, "ONE_CLASS_SHARE": ONE_CLASS_SHARE,
                  "MIXED_TARGETS": MIXED_TARGETS, "MIN_TICKS": MIN_TICKS, "LATE_SAMPLES": LATE_SAMPLES,
                  "LATE_START_DIVISOR": LATE_START_DIVISOR},
      panels=("predictions", "loss"))
def prediction_collapse(self, trace: Trace):
    """
    What it detects:
        Late in training (the last {LATE_SAMPLES} sampled loss calls), the predictions passed
        to a regression loss barely vary across the batch compared with the targets (their
        standard deviation is below {COLLAPSE_STD_RATIO} times the targets'), or a classifier
        predicts the same class for at least {ONE_CLASS_SHARE:.0%} of a batch whose most
        frequent class is at most {MIXED_TARGETS:.0%}: the network answers (nearly) the same
        thing whatever the input.

    Why it stops learning:
        It is the footprint of a bug more than a cause: a constant prediction (the label
        mean) is what a model learns when its gradient carries no per-sample information,
        e.g. a broadcast loss, a cut graph, ignored inputs or dead units.

    Example:
        pred.std() = 0.01 while y.std() = 3.2 after 200 epochs

    Fix:
        Look at the cause ranked above it. Without one: check shapes in the loss, that the
        inputs reach the output, and that the model can overfit a handful of samples.
    """
    t = self.thresholds
    calls = _late_training_calls(trace, t)
    classes = [c for c in calls if c.majority_fraction is not None and c.target_majority is not None]
    if len(classes) >= 2:
        share = statistics.median(c.majority_fraction for c in classes)
        target = statistics.median(c.target_majority for c in classes)
        if share < t.ONE_CLASS_SHARE or target > t.MIXED_TARGETS:
            return []
        c = classes[-1]
        msg = (f"At the end of training {share:.0%} of each batch is predicted as the same class (threshold "
               f"{t.ONE_CLASS_SHARE:.0%}), although the most frequent class is only {target:.0%} of the targets.")
        return [self.finding(msg, c.site, "Fix the cause ranked above; see `unstuck explain prediction-collapse`.",
                             confidence=0.4, one_class_share=share, target_majority=target)]
    late = [c for c in calls if c.pred_std is not None and c.target_std]
    if len(late) < 2:
        return []
    ratios = [c.pred_std / c.target_std for c in late]
    ratio = statistics.median(ratios)
    if ratio >= t.COLLAPSE_STD_RATIO:
        return []
    c = late[-1]
    msg = (f"At the end of training the predictions' spread is {ratio:.3f} times the targets' "
           f"(std {c.pred_std:.3g} vs {c.target_std:.3g}; threshold {t.COLLAPSE_STD_RATIO}): the model predicts "
           f"nearly the same value, about {c.target_mean:.3g} (the label mean), for every input.")
    return [self.finding(msg, c.site, "Fix the cause ranked above; see `unstuck explain prediction-collapse`.",
                         confidence=0.4, std_ratio=ratio, prediction_std=c.pred_std, target_std=c.target_std)]


@rule("SY002", "loss-plateau", Severity.WARNING, "The loss is stuck at the level of a constant prediction",
      kind=Kind.SYMPTOM, requires=(needs_losses, needs_steps("MIN_TICKS")),
      thresholds={"PLATEAU_RATIO": PLATEAU_RATIO, "MIN_TICKS": MIN_TICKS, "LATE_SAMPLES": LATE_SAMPLES,
                  "LATE_START_DIVISOR": LATE_START_DIVISOR, "MIN_BASELINE_EXCESS": MIN_BASELINE_EXCESS,
                  "MIN_BATCH": MIN_BATCH},
      panels=("loss",))
def loss_plateau(self, trace: Trace):
    """
    What it detects:
        Late in training, the training loss is still at (or above) the loss of the best
        constant prediction on the same batch: the mean for MSE, the median for L1, the class
        frequencies for cross-entropy. For binary cross-entropy on soft targets both are
        measured above the loss of a perfect prediction (the targets' own entropy). A summed
        loss (`reduction="sum"`) is compared with the constant's summed loss; a re-weighted one
        (`weight=`, `pos_weight=`) has no unweighted reference and is not judged. When models
        are trained one after another (a sweep, k folds), the last one's training is judged.
        The judged loss is the one whose gradient trains the model (passed to `backward()`),
        not an inner loss differentiated with `create_graph=True` (MAML) or a metric; of a
        line that sums several losses (a supervised and a consistency term), its first.
        Batches of fewer than {MIN_BATCH} target values are not judged: the best constant fitted to
        so few values is an optimistic reference (in few-shot learning each batch is another
        task, whose own mean the model cannot know before it adapts).

    Why it stops learning:
        A model at that level has learned nothing from the inputs. It follows from a cause
        (a bug, a learning rate, the data), which is ranked above when one was found.

    Example:
        cross-entropy stays at 0.69 on balanced binary labels (= ln 2)

    Fix:
        Look at the cause ranked above. Without one, tell a bug from an optimisation,
        capacity or data problem by hand: train on 2-8 samples until the loss is near zero
        (a model that cannot is buggy), and compare with a linear model on the same data.
    """
    t = self.thresholds
    level = constant_level(trace, t)
    if level is None or level[0] < t.PLATEAU_RATIO:
        return []
    ratio, late = level
    c = late[-1]
    msg = (f"Late in training `{c.fn}` is {c.value:.4g}, {ratio:.2f} times the {c.baseline:.4g} a constant "
           f"prediction would reach on the same batch (threshold {t.PLATEAU_RATIO}).")
    return [self.finding(msg, c.site, "Fix the cause ranked above; without one, check that the model can overfit 2-8 "
                         "samples and compare with a linear model.",
                         confidence=0.3, loss=c.value, constant_baseline=c.baseline, ratio=ratio)]
