"""The data: input and target scales, and whether the input is used at all."""
from __future__ import annotations

import statistics

from unstuck.reportdata import Severity
from unstuck.rules.base import rule
from unstuck.rules.links import SYMPTOMS, WRONG_GRADIENT
from unstuck.rules.measures import REGRESSION_LOSSES, is_nan
from unstuck.trace import Trace

INPUT_SCALE = 20.0  # a feature's std or |mean| above this is unscaled
INPUT_SCALE_RATIO = 100.0  # largest / smallest feature std above this: very different scales
TARGET_SCALE = 100.0  # regression targets with std or |mean| above this are unscaled
TARGET_OFFSET = 20.0  # |mean| above this ...
TARGET_OFFSET_RATIO = 5.0  # ... and above this many stds: a large offset
PRED_SPREAD_SHARE = 0.01  # predictions spread less than this share of the targets': not at their scale
EARLY_CALLS = 3  # the first sampled training loss calls: the untrained network
INPUT_DEPENDENCE = 1e-9  # relative output change below which the output ignores the input


@rule("DT001", "unscaled-inputs", Severity.WARNING, "Input features are not normalised",
      explains=WRONG_GRADIENT + ("input-ignored",),
      thresholds={"INPUT_SCALE": INPUT_SCALE, "INPUT_SCALE_RATIO": INPUT_SCALE_RATIO},
      panels=("gradient_flow", "loss"))
def unscaled_inputs(self, trace: Trace):
    """
    What it detects:
        Model inputs (the first floating-point argument of the model's forward) whose
        features or channels have a large scale (standard deviation or mean above
        {INPUT_SCALE}, e.g. raw 0-255 pixels, prices, years) or scales that differ by more than
        {INPUT_SCALE_RATIO}x. A single feature of whole numbers (a diffusion timestep, an index,
        a count) beside features that are all well scaled is a conditioning value, not unscaled
        data, and stays silent.

    Why it stops learning:
        Large inputs saturate sigmoid/tanh units and make the first layer's gradients
        huge compared with the others; very different scales make the loss surface a
        narrow valley. One learning rate cannot suit all weights: training crawls or
        diverges.

        Judged on the input of the model's first weight layer (Linear, Conv, RNN), so a
        model that standardises its raw inputs itself (a `BatchNorm` first layer, or
        `(x - mean) / std` inside `forward`) stays silent.

    Example:
        images = images.float()        # values 0..255 fed as they are

    Fix:
        Standardise each feature with statistics of the training set:
        mean, std = X_train.mean(0), X_train.std(0)
        X_train = (X_train - mean) / std        # same mean/std for validation and test
        (images: `x / 255`, or torchvision's `Normalize`.)
    """
    t = self.thresholds
    # What the first weight layer sees: a model that standardises its raw input itself (a
    # BatchNorm first, `(x - mean) / std` in forward) hands its weights normalised values.
    source = trace.layer_inputs if trace.layer_inputs else trace.inputs
    # One whole-number feature (a timestep, an index, a count) beside well-scaled ones is a
    # conditioning value, not unscaled data: such inputs are left out
    recs = [r for r in source if r.feature_std_max is not None
            and not (r.top_integral and r.second_scale is not None and r.second_scale <= t.INPUT_SCALE)]
    if not recs:
        return []
    std_max = statistics.median(r.feature_std_max for r in recs)
    mean_max = statistics.median(r.mean_abs_max for r in recs)
    mins = [r.feature_std_min for r in recs if r.feature_std_min]
    ratio = std_max / statistics.median(mins) if mins else 1.0
    r = recs[0]
    if max(std_max, mean_max) > t.INPUT_SCALE:
        msg = (f"The model's input features have a standard deviation up to {std_max:.3g} and means up to "
               f"{mean_max:.3g} (threshold {t.INPUT_SCALE:g}); the largest input value is {r.abs_max:.3g}.")
    elif ratio > t.INPUT_SCALE_RATIO:
        msg = (f"The model's input features have scales that differ {ratio:.0f}-fold (threshold "
               f"{t.INPUT_SCALE_RATIO:g}): standard deviations from {statistics.median(mins):.3g} to {std_max:.3g}.")
    else:
        return []
    return [self.finding(msg, r.site, "Standardise the inputs with training-set statistics: "
                         "`X = (X - X.mean(0)) / X.std(0)` (images: `x / 255` then normalise).",
                         confidence=0.7, feature_std_max=std_max, feature_mean_max=mean_max, scale_ratio=ratio,
                         input_shape=r.shape)]


@rule("DT002", "unscaled-targets", Severity.WARNING, "Regression targets are not normalised",
      explains=WRONG_GRADIENT,
      thresholds={"TARGET_SCALE": TARGET_SCALE, "TARGET_OFFSET": TARGET_OFFSET,
                  "TARGET_OFFSET_RATIO": TARGET_OFFSET_RATIO, "PRED_SPREAD_SHARE": PRED_SPREAD_SHARE,
                  "EARLY_CALLS": EARLY_CALLS},
      panels=("predictions", "loss"))
def unscaled_targets(self, trace: Trace):
    """
    What it detects:
        Regression targets (of `mse_loss`, `l1_loss`, `smooth_l1_loss`, `huber_loss`) with a
        large magnitude (standard deviation or mean above {TARGET_SCALE}, e.g. salaries,
        prices in dollars) or a large offset (mean above {TARGET_OFFSET} and above
        {TARGET_OFFSET_RATIO} standard deviations, e.g. temperatures in Kelvin).

    Why it stops learning:
        A freshly initialised network outputs values around 0 to 1. To reach targets of
        50,000 the last layer's weights and bias must grow by orders of magnitude at a
        learning rate tuned for unit-scale values, so training takes forever, and the huge
        loss gradients destabilise the layers below.

        Judged against where the untrained model's predictions start: an output bias
        initialised at the target mean, or a head that de-normalises (`out * std + mean`),
        already puts the predictions at the targets' scale and stays silent.

    Example:
        salary = 40_000 + 2_500 * years + ...       # used as the target directly

    Fix:
        Standardise the targets and undo it for predictions:
        mu, sigma = y_train.mean(), y_train.std()
        loss = F.mse_loss(model(x), (y - mu) / sigma)
        prediction = model(x) * sigma + mu
    """
    t = self.thresholds
    calls = [c for c in trace.losses if c.training and c.fn in REGRESSION_LOSSES and c.target_std is not None
             and c.target_mean is not None]
    if not calls:
        return []
    early = calls[:int(t.EARLY_CALLS)]  # the untrained network: where its outputs start
    std = statistics.median(c.target_std for c in early)
    mean = statistics.median(c.target_mean for c in early)
    preds = [c for c in early if c.pred_mean is not None and c.pred_std is not None]
    pred_mean = statistics.median(c.pred_mean for c in preds) if preds else 0.0
    pred_std = statistics.median(c.pred_std for c in preds) if preds else 0.0
    large = max(std, abs(mean)) > t.TARGET_SCALE or (abs(mean) > t.TARGET_OFFSET
                                                     and abs(mean) > t.TARGET_OFFSET_RATIO * std)
    gap = abs(mean - pred_mean)  # the offset the network still has to learn
    big = (gap > t.TARGET_SCALE and gap > std) or (std > t.TARGET_SCALE and pred_std < t.PRED_SPREAD_SHARE * std)
    offset = gap > t.TARGET_OFFSET and gap > t.TARGET_OFFSET_RATIO * std
    if not large or not (big or offset):  # small targets, or a model that already predicts at their scale
        return []
    c = calls[0]
    kind = "a large magnitude" if big else "a large offset"
    msg = (f"The targets of `{c.fn}` have {kind}: mean {mean:.4g}, standard deviation {std:.4g}, while the "
           f"untrained model predicts around {pred_mean:.3g} with spread {pred_std:.3g} (thresholds: "
           f"{t.TARGET_SCALE:g}; offset {t.TARGET_OFFSET:g} and {t.TARGET_OFFSET_RATIO:g} stds).")
    return [self.finding(msg, c.site, "Standardise the targets, `y_n = (y - y.mean()) / y.std()`, train on y_n, "
                         "and map predictions back with `pred * std + mean`.", confidence=0.75,
                         target_mean=mean, target_std=std, prediction_mean=pred_mean)]


@rule("DT003", "input-ignored", Severity.ERROR, "The model's output does not depend on its input",
      explains=SYMPTOMS, thresholds={"INPUT_DEPENDENCE": INPUT_DEPENDENCE},
      panels=("predictions", "loss"))
def input_ignored(self, trace: Trace):
    """
    What it detects:
        On a deep copy of the model (in eval mode, inside `torch.random.fork_rng()`, without
        the user's hooks), the input's values are changed while shapes and dtypes are kept:
        each sample's input (every tensor argument, token ids included) is replaced by
        another sample's, or, when the output has no batch axis (a pooled set, a bag of
        instances), floats are moved by their spread and integer ids drawn anew within their
        range. The outputs do not change at all: the forward pass zeroes or replaces its
        input (a mask the wrong way round, a shadowed variable, an embedding indexed by
        positions instead of tokens). Permutation-invariant set models are not flagged:
        their rows are never merely reordered.

    Why it stops learning:
        A network that cannot see its input can only learn one answer for everything: the
        mean label or the majority class.

    Example:
        keep = (x.abs() > 1e6).float()     # meant `<`: every feature is zeroed
        return self.net(x * keep)

    Fix:
        Check the forward pass for masks, shadowed variables or constants that replace the
        input; `model(x1)` and `model(x2)` should differ for different inputs.
    """
    dep = trace.input_dependence
    if dep is None or is_nan(dep) or dep >= self.thresholds.INPUT_DEPENDENCE:  # NaN: the model is already broken
        return []
    msg = (f"Giving each sample another sample's input changed the model's outputs by {dep:.2g} relative to "
           f"their size (threshold {self.thresholds.INPUT_DEPENDENCE:g}): the output does not depend on the input.")
    return [self.finding(msg, trace.input_dependence_site, "Find where the forward pass discards `x` (a mask, "
                         "a shadowed variable, a constant).", confidence=0.85, relative_change=dep)]
