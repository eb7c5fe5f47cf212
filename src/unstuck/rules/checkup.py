"""Rules over the checkup's experiments (`unstuck checkup`): they judge the numbers that
`unstuck.checkup` measured and stored in `trace.checkup`. Under `unstuck run` there are no
experiments and these rules are skipped.

The experiments' symptoms (`cannot-overfit`, `below-baseline`) are the measured form of a loss
that does not go down; the watch rules name them in their `explains` (`rules/links.py`
`SYMPTOMS`), so a checkup finding is ranked under its root cause.
"""
from __future__ import annotations

import dataclasses
import math

from unstuck.reportdata import Kind, Severity
from unstuck.rules.base import rule
from unstuck.rules.links import SYMPTOMS, WRONG_GRADIENT
from unstuck.trace import Trace

# cannot-overfit
FEW_SAMPLES = 8  # rungs of the overfit ladder up to this many samples are judged
FIT_ACCURACY = 0.99  # classification: share of the rung's predictions (samples, or tokens) that must be right
FIT_R2 = 0.9  # regression: share of the rung's target spread the predictions must explain
# not-learnable
SORTED_SHARE = 0.75  # batches whose labels arrive sorted, of all watched: named as a hint ...
SORTED_MIN_BATCHES = 4  # ... among at least this many
LEARNABLE_R2 = 0.05  # regression: R^2 above the constant's that counts as learning something
LEARNABLE_ACCURACY = 0.03  # classification: accuracy above the majority share that counts ...
LEARNABLE_SE = 3.0  # ... or this many standard errors of that share, whichever is larger
# below-baseline
BELOW_GAP_R2 = 0.1  # regression: the best baseline's R^2 exceeds the network's by more than this
BELOW_GAP_ACCURACY = 0.05  # classification: accuracy gap
BELOW_ERROR_RATIO = 1.5  # ... and the network's error (1 - score) is at least this many times the baseline's
SCORE_TOL = 1e-9  # scores (and errors) closer than this are equal: float rounding, not a judgement
VARIANCE_FLOOR = 1e-12  # the majority share's variance p(1-p) is taken as at least this
UNKNOWN_SHARE = 0.5  # the majority share assumed when the constant's score is unknown
FIT = {"FEW_SAMPLES": FEW_SAMPLES, "FIT_ACCURACY": FIT_ACCURACY, "FIT_R2": FIT_R2, "SCORE_TOL": SCORE_TOL}
MARGIN = {"LEARNABLE_R2": LEARNABLE_R2, "LEARNABLE_ACCURACY": LEARNABLE_ACCURACY, "LEARNABLE_SE": LEARNABLE_SE,
          "VARIANCE_FLOOR": VARIANCE_FLOOR, "UNKNOWN_SHARE": UNKNOWN_SHARE}


def needs_checkup(trace: Trace) -> str | None:
    return None if getattr(trace, "checkup", None) is not None else \
        "runs on the checkup's measurements (`unstuck checkup`, or `unstuck run`'s data check when learning stalls)"


def _loss_site(trace: Trace):
    calls = [c for c in trace.losses if c.training and c.site is not None]
    return calls[0].site if calls else None


def _model_site(trace: Trace):
    """Where the model's optimizer was created: the line that names the model to change."""
    for rec in trace.optimizers.values():
        if rec.site is not None:
            return rec.site
    return None


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _margin(ck, t) -> float:
    if ck.task == "classification":
        p = ck.constant_score or t.UNKNOWN_SHARE
        n = max(1, ck.samples)
        return max(t.LEARNABLE_ACCURACY, t.LEARNABLE_SE * math.sqrt(max(p * (1 - p), t.VARIANCE_FLOOR) / n))
    return t.LEARNABLE_R2


@rule("CK001", "cannot-overfit", Severity.ERROR, "The model cannot fit even a handful of samples",
      kind=Kind.SYMPTOM, requires=(needs_checkup,),
      thresholds=FIT,
      panels=("overfit",))
def cannot_overfit(self, trace: Trace):
    """
    What it detects:
        The checkup's overfit ladder trains the model from its initial weights on its first
        few samples (doubling their number rung by rung), with your optimizer and with Adam. On a
        rung of at most {FEW_SAMPLES} samples, none of them fits the samples: for
        classification fewer than {FIT_ACCURACY:.0%} of the predictions are right, for
        regression the predictions explain less than {FIT_R2:.0%} of the targets' spread.

        A model without hidden units (a single weight layer: linear or logistic regression)
        is not judged: it cannot memorise points that no straight boundary separates, and
        that is its capacity (`below-baseline`), not a bug.

    Why it stops learning:
        Any network with a few hidden units memorises a handful of samples in a few hundred
        steps. When it cannot, something between its inputs, its outputs and the loss is
        broken (shapes that broadcast in the loss, a cut graph, an output activation that
        cannot reach the targets, a loss given the wrong kind of values): more data, more
        epochs or a bigger model will not help.

    Example:
        pred = model(x).squeeze(-1)           # [N]
        loss = F.mse_loss(pred, y.unsqueeze(1))  # [N] vs [N, 1]: no model fits 4 samples

    Fix:
        Fix the cause ranked above it. Without one, train on 2 samples yourself and check,
        step by step, the shapes and values reaching the loss.
    """
    t = self.thresholds
    ck = trace.checkup
    if ck.weight_layers is not None and ck.weight_layers <= 1:
        return []  # no hidden units: not fitting a few samples is the model's capacity, not a bug
    judged = [r for r in ck.overfit if r.samples <= t.FEW_SAMPLES and r.best_fit is not None]
    need = t.FIT_ACCURACY if ck.task == "classification" else t.FIT_R2
    failed = [r for r in judged if r.best_fit < need - t.SCORE_TOL]
    if not failed:
        return []
    r = failed[0]
    what = "of the samples right" if ck.task == "classification" else "of the targets' spread explained"
    other = (f"; the best alternative, {r.other_optimizer}, got {_fmt(r.other_loss_end)} with {r.other_fit:.0%} "
             f"{what}") if r.other_optimizer and r.other_fit is not None else ""
    msg = (f"Trained on only {r.samples} sample(s) for {r.steps} steps from its initial weights, the loss went from "
           f"{_fmt(r.loss_start)} to {_fmt(r.loss_end)} with your optimizer, {r.fit:.0%} {what} (needed "
           f"{need:.0%}){other}. A model that cannot memorise {r.samples} samples has a bug, not too little "
           f"capacity or too few epochs.")
    return [self.finding(msg, _loss_site(trace), "Fix the cause ranked above; see `unstuck explain cannot-overfit`.",
                         confidence=0.6, samples=r.samples, loss_start=r.loss_start, loss_end=r.loss_end,
                         fit=r.best_fit, needed=need)]


@rule("CK002", "not-learnable", Severity.ERROR, "Nothing predicts the targets better than a constant",
      requires=(needs_checkup,), explains=SYMPTOMS,
      thresholds={**MARGIN, "SORTED_SHARE": SORTED_SHARE, "SORTED_MIN_BATCHES": SORTED_MIN_BATCHES},
      panels=("baselines", "loss"))
def not_learnable(self, trace: Trace):
    """
    What it detects:
        The checkup fits simple models to the samples the network saw (a linear model,
        boosted trees, k nearest neighbours), cross-validated, and trains the network on the
        same folds. None of them beats predicting a constant (the mean, or the most frequent
        class) on held-out samples by more than a small margin: R^2 {LEARNABLE_R2} above the
        constant's for regression; for classification {LEARNABLE_ACCURACY} above the majority
        share, or {LEARNABLE_SE} standard errors of it when the sample is small.

    Why it stops learning:
        There is nothing to learn: the targets carry no signal the inputs can explain. Either
        the labels are unrelated to the inputs, or they were misaligned with them (shuffled,
        sorted or filtered separately, joined on the wrong key). No model, optimizer or
        learning rate changes that.

    Example:
        y_sorted, _ = torch.sort(y)               # sorted for a plot ...
        loss = F.mse_loss(model(X[idx]), y_sorted[idx])  # ... and reused as labels

    Fix:
        Check that each input is paired with its own label: index inputs and labels with the
        same permutation, keep them in one Dataset, and look at a few (input, label) pairs.
    """
    ck = trace.checkup
    found = _nothing_learns(ck, self.thresholds)
    if found is None:
        return []
    best, margin, net = found
    metric = best.metric
    network = (f"the network scores {_fmt(net)}" if ck.network is not None
               else "the network's own loss stalled at the constant's level")
    ev = ck.labels or {}
    batches, ordered = ev.get("batches", 0), ev.get("sorted_batches", 0)
    hint = (f" The labels arrive sorted in {ordered} of {batches} watched batches: were they sorted apart from "
            f"their inputs?" if batches >= self.thresholds.SORTED_MIN_BATCHES
            and ordered >= self.thresholds.SORTED_SHARE * batches else "")
    msg = (f"On {ck.samples} samples, cross-validated, no model does better than predicting a constant: the best "
           f"baseline ({best.name}) scores {metric} {best.score:.3f} against the constant's "
           f"{ck.constant_score:.3f} (margin {margin:.3f}); {network}. The labels may be unrelated to the inputs, "
           f"or misaligned with them (shuffled or sorted separately from the inputs).{hint}")
    return [self.finding(msg, _loss_site(trace), "Check that every input is paired with its own label: use one "
                         "index/permutation for both, e.g. `X[idx], y[idx]`, and inspect a few pairs.",
                         confidence=0.7, best_baseline=best.name, best_score=best.score,
                         constant_score=ck.constant_score, margin=margin, network_score=net, metric=metric)]


def learned_by(ck):
    """The best baseline when it beats the constant by not-learnable's margin (the data is
    learnable), else None."""
    others = [b for b in ck.baselines if b.name != "constant"]
    if ck.constant_score is None or not others:
        return None
    best = max(others, key=lambda b: b.score)
    return best if best.score > ck.constant_score + _margin(ck, not_learnable.thresholds) else None


def _nothing_learns(ck, t):
    """(best baseline, margin, network score) when no baseline and not the network beats the
    constant by the margin; None when something does or too little was measured."""
    others = [b for b in ck.baselines if b.name != "constant"]
    if ck.constant_score is None or len(others) < 2:
        return None
    margin = _margin(ck, t)
    best = max(others, key=lambda b: b.score)
    bar = ck.constant_score + margin
    if best.score > bar:
        return None
    net = ck.network.best_score if ck.network else None
    if net is not None and net > bar:
        return None
    return best, margin, net


# label-misalignment
RELABELLED_SHARE = 0.5  # inputs seen again whose label changed, of the share a random re-pairing changes ...
MIN_RESEEN = 32  # ... among at least this many


@rule("CK005", "label-misalignment", Severity.ERROR, "The labels were separated from their inputs",
      requires=(needs_checkup,), explains=("not-learnable",) + SYMPTOMS,
      thresholds={"RELABELLED_SHARE": RELABELLED_SHARE, "MIN_RESEEN": MIN_RESEEN, **MARGIN},
      panels=("baselines", "loss"))
def label_misalignment(self, trace: Trace):
    """
    What it detects:
        Nothing predicts the labels better than a constant (as for `not-learnable`), and the
        batches show how the pairing broke: the same input came back in a later pass with
        another of the labels seen (of at least {MIN_RESEEN} inputs seen again, {RELABELLED_SHARE}
        or more of the share a random re-pairing would change, 1 - the sum of the squared label
        frequencies): inputs and labels are shuffled separately every epoch. Only the first
        loss on a forward is read (mixup's second loss pairs the inputs with other labels on
        purpose), and a changed label must be one of the labels seen (target jitter or a
        running normalisation makes new values). Labels that arrive sorted are named in
        `not-learnable`'s message as a hint, not as this cause: contrastive targets and data
        sorted on purpose look the same.

    Why it stops learning:
        Each input is trained towards another sample's label. The only thing the model can
        learn is the labels' average, so the loss stalls at the constant's level whatever the
        model, optimizer or learning rate.

    Example:
        np.random.shuffle(X_train)    # two shuffles: each array in its own order
        np.random.shuffle(y_train)

    Fix:
        Shuffle, sort or filter inputs and labels with one index: `perm =
        torch.randperm(n); X, y = X[perm], y[perm]`, or keep them in one Dataset and let
        the DataLoader shuffle (`shuffle=True`).
    """
    ck = trace.checkup
    ev = ck.labels or {}
    if _nothing_learns(ck, self.thresholds) is None:
        return []
    t = self.thresholds
    reseen, relabelled, chance = ev.get("reseen", 0), ev.get("relabelled", 0), ev.get("chance", 1.0)
    if not (reseen >= t.MIN_RESEEN and relabelled > 0 and relabelled >= t.RELABELLED_SHARE * chance * reseen):
        return []
    how = (f"{relabelled} of the {reseen} inputs that came back in a later pass came back with another label: "
           f"inputs and labels are shuffled (or indexed) separately")
    msg = f"No model does better than predicting a constant on the {ck.samples} captured samples, and {how}."
    return [self.finding(msg, _loss_site(trace), "Shuffle, sort or filter inputs and labels with one index "
                         "(`perm = torch.randperm(n); X, y = X[perm], y[perm]`), or keep them in one Dataset and "
                         "let the DataLoader shuffle.", confidence=0.8, reseen=reseen, relabelled=relabelled,
                         chance=chance)]


@rule("CK003", "below-baseline", Severity.WARNING, "Simple models beat the network on its own data",
      kind=Kind.SYMPTOM, requires=(needs_checkup,),
      thresholds={"BELOW_GAP_R2": BELOW_GAP_R2, "BELOW_GAP_ACCURACY": BELOW_GAP_ACCURACY,
                  "BELOW_ERROR_RATIO": BELOW_ERROR_RATIO, **FIT, **MARGIN},
      panels=("baselines", "loss"))
def below_baseline(self, trace: Trace):
    """
    What it detects:
        On the same cross-validation folds, the best simple model (linear, boosted trees,
        k nearest neighbours) beats the network, trained for a short budget with your
        optimizer and with the best optimizer of the checkup's comparison, by more than
        {BELOW_GAP_R2} of R^2 (regression) or {BELOW_GAP_ACCURACY} of accuracy
        (classification), with an error at least {BELOW_ERROR_RATIO} times smaller. When your
        optimizer falls short but another setting closes the gap,
        the finding is `info`: the optimisation, not the model, is what to change. When the
        model memorises a handful of samples (the overfit ladder) and no setting closes the
        gap, it is reported as a cause: the model is too simple for the data (capacity).

    Why it stops learning:
        A network should match a linear model or trees on the data it trains on. Falling
        short means it cannot represent the function (too little capacity: a linear model on
        a non-linear boundary) or cannot reach it (learning rate, optimizer, scaling), or a
        bug ranked above keeps it from learning.

    Example:
        model = nn.Linear(2, 2)   # classes inside/outside a circle: trees 97%, the model 61%

    Fix:
        Fix a cause ranked above first. Otherwise add capacity (hidden layers with a
        non-linearity) or use the learning rate and optimizer the checkup found better.
    """
    ck = trace.checkup
    others = [b for b in ck.baselines if b.name != "constant"]
    net = ck.network
    if not others or net is None or net.score is None:
        return []
    best = max(others, key=lambda b: b.score)
    t = self.thresholds
    gap_needed = t.BELOW_GAP_ACCURACY if ck.task == "classification" else t.BELOW_GAP_R2

    def below(score) -> bool:
        if score is None:
            return True
        return best.score - score > gap_needed and (1 - score) >= t.BELOW_ERROR_RATIO * max(1 - best.score, t.SCORE_TOL)

    if not below(net.score):
        return []
    if ck.constant_score is not None and best.score <= ck.constant_score + _margin(ck, t):
        return []  # nothing beats the constant: not-learnable, not this
    best_net = net.best_score if net.best_score is not None else net.score
    if not below(best_net):
        msg = (f"With your optimizer ({net.optimizer}) the network scores {best.metric} {net.score:.3f} on held-out "
               f"samples after {net.steps} steps, below {best.name} ({best.score:.3f}); with {net.best_optimizer} it "
               f"reaches {best_net:.3f}: the optimisation holds it back, not the model.")
        return [self.finding(msg, None, f"Try {net.best_optimizer} (see the checkup's optimizer comparison).",
                             severity=Severity.INFO, confidence=0.3, network_score=net.score,
                             best_network_score=best_net, baseline=best.name, baseline_score=best.score)]
    tried = f" (best setting tried: {net.best_optimizer}, {best_net:.3f})" if net.best_optimizer else ""
    need = t.FIT_ACCURACY if ck.task == "classification" else t.FIT_R2
    judged = [r for r in ck.overfit if r.samples <= t.FEW_SAMPLES and r.best_fit is not None]
    linear = ck.weight_layers is not None and ck.weight_layers <= 1  # no hidden units at all
    capacity = linear or (bool(judged) and all(r.best_fit >= need - t.SCORE_TOL for r in judged))
    msg = (f"On held-out samples {best.name} scores {best.metric} {best.score:.3f}, the network only "
           f"{net.score:.3f} after {net.steps} steps with your optimizer{tried}; the gap exceeds {gap_needed} "
           f"and the network's error is {(1 - best_net) / max(1 - best.score, t.SCORE_TOL):.1f}x the baseline's.")
    if capacity:  # it memorises a few samples, no optimizer closes the gap: the model itself is the cause
        msg += (" The model has no hidden layer: it can only draw a linear boundary, too simple for this data."
                if linear else " The model fits a handful of samples, so nothing is broken: it is too small or "
                "too simple for this data.")
        found = self.finding(msg, _model_site(trace), "Give the model more capacity: hidden layers with a "
                             "non-linearity, e.g. `nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, out))`.",
                             title="The model is too simple for this data: simple models beat it",
                             confidence=0.5, network_score=net.score, best_network_score=best_net,
                             baseline=best.name, baseline_score=best.score, metric=best.metric)
        return [dataclasses.replace(found, kind=Kind.CAUSE)]
    return [self.finding(msg, None, "Fix a cause ranked above first; otherwise give the model more capacity "
                         "(hidden layers with a non-linearity) or use a better learning rate/optimizer.",
                         confidence=0.4, network_score=net.score, best_network_score=best_net, baseline=best.name,
                         baseline_score=best.score, metric=best.metric)]


@rule("CK004", "data-nonfinite", Severity.ERROR, "The table holds missing, NaN or infinite values",
      requires=(needs_checkup,), explains=("unscaled-inputs", "unscaled-targets") + WRONG_GRADIENT)
def table_nonfinite(self, trace: Trace):
    """
    What it detects:
        `unstuck checkup DATA.csv`: cells of the feature or target columns that are empty,
        NaN or infinite, counted per column.

    Why it stops learning:
        One NaN in a batch makes the loss and every gradient NaN; the weights become NaN and
        the network predicts nothing from then on. Infinite values do the same through
        overflow.

    Example:
        df = pd.read_csv("data.csv")      # 'income' has 312 empty cells
        X = torch.tensor(df.values)        # NaN rows go straight into training

    Fix:
        Drop or impute the missing values before training, e.g. `df = df.dropna()` or
        `df.fillna(df.median())`, and check `np.isfinite(X).all()`.
    """
    ck = trace.checkup
    if ck.integrity is None or not ck.integrity.nonfinite:
        return []
    counts = ", ".join(f"{col}: {n}" for col, n in sorted(ck.integrity.nonfinite.items(), key=lambda kv: -kv[1]))
    total = sum(ck.integrity.nonfinite.values())
    msg = (f"{total} missing, NaN or infinite value(s) in {len(ck.integrity.nonfinite)} column(s) of "
           f"{ck.integrity.rows} rows ({counts}). The checkup dropped the {ck.integrity.rows_dropped} affected rows "
           f"to run its experiments; a training loop would get NaN losses.")
    return [self.finding(msg, None, "Drop or impute them before training: `df = df.dropna()` or "
                         "`df.fillna(df.median(numeric_only=True))`.", confidence=0.9,
                         columns=tuple(sorted(ck.integrity.nonfinite)),
                         counts=tuple(ck.integrity.nonfinite[c] for c in sorted(ck.integrity.nonfinite)))]
