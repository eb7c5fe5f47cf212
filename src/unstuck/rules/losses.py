"""Losses and the activations that feed them."""
from __future__ import annotations

from unstuck.reportdata import Severity
from unstuck.rules.base import needs_losses, rule
from unstuck.rules.links import NO_UPDATE, WRONG_GRADIENT
from unstuck.rules.measures import REGRESSION_LOSSES, line_key, rows_are_log_probabilities, rows_are_probabilities
from unstuck.trace import LossCall, Trace

MIN_CALLS = 2  # sampled training loss calls needed before judging a loss's input
OUTSIDE_SHARE = 0.05  # share of targets an activation cannot reach before its range is a mismatch
MIN_BATCH_IN_UNIT = 8  # values in [0, 1] say "sigmoid output" only for batches of at least this size
# A row of the loss input is a probability vector when no value is below -PROB_NEGATIVE_TOL and its
# sum is within ROW_SUM_TOL of 1; log-probabilities when no value is above LOGPROB_POSITIVE_TOL and
# the sum of their exponentials is within ROW_SUM_TOL of 1 (float32 rounding, not a judgement).
PROB_NEGATIVE_TOL = 1e-6
LOGPROB_POSITIVE_TOL = 1e-5
ROW_SUM_TOL = 1e-3
ROWS = {"PROB_NEGATIVE_TOL": PROB_NEGATIVE_TOL, "LOGPROB_POSITIVE_TOL": LOGPROB_POSITIVE_TOL,
        "ROW_SUM_TOL": ROW_SUM_TOL}
RANGES = {  # activation -> (share of targets it cannot produce, the range it can)
    "tanh": ("target_share_outside_pm1", "[-1, 1]"),
    "sigmoid": ("target_share_outside_unit", "[0, 1]"),
    "relu": ("target_share_negative", "[0, inf)"),
    "relu6": ("target_share_negative", "[0, 6]"),
    "softplus": ("target_share_negative", "(0, inf)"),
}


def _training_calls(trace: Trace, fns) -> list[LossCall]:
    """The calls that trained: with gradients enabled and, when some calls' gradients were
    taken, only those (a metric computed on detached outputs after training is not one)."""
    calls = [c for c in trace.losses if c.training and c.fn in fns and c.pred_finite]
    best = max((c.backprop for c in calls), default=0)
    return [c for c in calls if c.backprop == best]


def _enough(rule, calls: list[LossCall], what: str) -> None:
    """Skip (not pass) when the loss ran, but on fewer sampled training steps than MIN_CALLS."""
    if calls:
        rule.require(len(calls), rule.thresholds.MIN_CALLS, f"sampled training calls of {what}")


def _all(calls, predicate, min_calls: float) -> bool:
    return len(calls) >= min_calls and all(predicate(c) for c in calls)


def _prob(c: LossCall, t) -> bool:
    return rows_are_probabilities(c, t.PROB_NEGATIVE_TOL, t.ROW_SUM_TOL)


def _logprob(c: LossCall, t) -> bool:
    return rows_are_log_probabilities(c, t.LOGPROB_POSITIVE_TOL, t.ROW_SUM_TOL)


def _sigmoid_scores(c: LossCall) -> bool:
    """Scores for two or more classes (axis 1) that a sigmoid produced: each in [0, 1]."""
    return c.producer == "sigmoid" and c.pred_in_unit and len(c.pred_shape) >= 2 and c.pred_shape[1] >= 2


@rule("LS002", "double-softmax", Severity.ERROR, "Probabilities are fed to cross_entropy, which applies softmax itself",
      requires=(needs_losses,), explains=("vanishing-gradients", "dead-relu") + NO_UPDATE,
      thresholds={"MIN_CALLS": MIN_CALLS, **ROWS},
      panels=("predictions", "loss"))
def double_softmax(self, trace: Trace):
    """
    What it detects:
        `cross_entropy`/`CrossEntropyLoss` receiving rows that are already probabilities
        (non-negative, summing to 1), typically from a `softmax` at the end of the model.
        Scores for two or more classes squashed by a `sigmoid` (each in [0, 1], a binary
        head reused for several classes) are reported too: the same bounded logits.
        `log_softmax` followed by `cross_entropy` is redundant but harmless (log_softmax is
        idempotent) and is reported as info only.

    Why it stops learning:
        cross_entropy applies log_softmax to its input. Squashed into [0, 1], the logits
        can differ by at most 1, so the predicted distribution stays nearly uniform and the
        gradients are tiny: the loss sinks slowly and stalls far above zero.

    Example:
        def forward(self, x):
            return F.softmax(self.fc(x), dim=-1)
        loss = F.cross_entropy(model(x), y)

    Fix:
        Return the raw logits from the model and let cross_entropy do the softmax; apply
        `softmax` only for reporting probabilities:
        def forward(self, x):
            return self.fc(x)
    """
    t = self.thresholds
    calls = _training_calls(trace, ("cross_entropy",))
    _enough(self, calls, "`cross_entropy`")
    if _all(calls, lambda c: _prob(c, t), t.MIN_CALLS):
        c = calls[0]
        made = f" They come from `{c.producer}`." if c.producer == "softmax" else ""
        msg = (f"In all {len(calls)} sampled `cross_entropy` calls the input rows are probabilities "
               f"(non-negative, summing to 1) instead of logits.{made} cross_entropy applies softmax again.")
        return [self.finding(msg, c.producer_site or c.site, "Return raw logits from the model (drop the final softmax); use "
                             "`softmax` only to report probabilities.", confidence=0.9, calls=len(calls),
                             producer=c.producer, shows_at=c.site)]
    if _all(calls, lambda c: _sigmoid_scores(c), t.MIN_CALLS):
        c = calls[0]
        msg = (f"In all {len(calls)} sampled `cross_entropy` calls the {c.pred_shape[1]} class scores of each row are "
               "`sigmoid` outputs, squashed into [0, 1], instead of logits. cross_entropy applies softmax to them.")
        return [self.finding(msg, c.producer_site or c.site, "Return raw logits from the model (drop the final "
                             "sigmoid); for several labels per sample use `BCEWithLogitsLoss` on the logits.",
                             title="Sigmoid outputs are fed to cross_entropy, which applies softmax itself",
                             confidence=0.85, calls=len(calls), producer=c.producer, shows_at=c.site)]
    if _all(calls, lambda c: _logprob(c, t), t.MIN_CALLS):
        c = calls[0]
        msg = ("`cross_entropy` receives log-probabilities (log_softmax output). That is redundant but harmless: "
               "cross_entropy applies log_softmax itself.")
        return [self.finding(msg, c.site, "Either return logits, or use `F.nll_loss` on log-probabilities.",
                             severity=Severity.INFO, title="log_softmax before cross_entropy is redundant",
                             confidence=0.2, calls=len(calls))]
    return []


@rule("LS003", "double-sigmoid", Severity.ERROR, "Sigmoid outputs are fed to a loss that applies sigmoid itself",
      requires=(needs_losses,), explains=("vanishing-gradients", "dead-relu") + NO_UPDATE,
      thresholds={"MIN_CALLS": MIN_CALLS, "MIN_BATCH_IN_UNIT": MIN_BATCH_IN_UNIT},
      panels=("predictions", "loss"))
def double_sigmoid(self, trace: Trace):
    """
    What it detects:
        `binary_cross_entropy_with_logits`/`BCEWithLogitsLoss` receiving values produced by a
        sigmoid (all within [0, 1] on every sampled step, in batches of at least
        {MIN_BATCH_IN_UNIT} values), e.g. a model ending in `nn.Sigmoid()`.

    Why it stops learning:
        The loss applies sigmoid again: sigmoid(p) with p in [0, 1] lies between 0.5 and 0.73,
        so the model can never express a confident "no", and the gradients are small and
        biased.

    Example:
        model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
        loss = nn.BCEWithLogitsLoss()(model(x), y)

    Fix:
        Drop the final sigmoid (keep `BCEWithLogitsLoss`, which is numerically stable), and
        apply `torch.sigmoid` only when you need probabilities.
    """
    t = self.thresholds
    calls = _training_calls(trace, ("binary_cross_entropy_with_logits",))
    _enough(self, calls, "`binary_cross_entropy_with_logits`")
    if len(calls) < t.MIN_CALLS:
        return []
    from_sigmoid = [c for c in calls if c.producer == "sigmoid"]
    in_unit = [c for c in calls if c.pred_in_unit and c.pred_shape and c.pred_shape[0] >= t.MIN_BATCH_IN_UNIT]
    if len(from_sigmoid) < len(calls) and len(in_unit) < len(calls):
        return []
    c = calls[0]
    how = "come from `sigmoid`" if from_sigmoid else "all lie within [0, 1]"
    msg = (f"The inputs of `binary_cross_entropy_with_logits` {how} in {len(calls)} sampled calls: the loss "
           f"applies sigmoid a second time.")
    return [self.finding(msg, c.producer_site or c.site, "Remove the final `Sigmoid` from the model and keep "
                         "`BCEWithLogitsLoss`; use `torch.sigmoid(logits)` only for reporting.", confidence=0.9,
                         calls=len(calls), shows_at=c.site)]


@rule("LS004", "nll-without-log-softmax", Severity.ERROR, "nll_loss is given something other than log-probabilities",
      requires=(needs_losses,), explains=WRONG_GRADIENT, thresholds={"MIN_CALLS": MIN_CALLS, **ROWS},
      panels=("predictions", "loss"))
def nll_without_log_softmax(self, trace: Trace):
    """
    What it detects:
        `nll_loss`/`NLLLoss` receiving probabilities (e.g. from `softmax`) or raw logits,
        instead of log-probabilities from `log_softmax`.

    Why it stops learning:
        nll_loss only picks `-input[target]`. With probabilities it maximises p (bounded by
        1) instead of log p, with logits it pushes one logit to infinity: the gradients are
        wrong or unbounded and the model does not learn calibrated classes.

    Example:
        model = nn.Sequential(..., nn.Linear(32, 4), nn.Softmax(dim=1))
        loss = nn.NLLLoss()(model(x), y)

    Fix:
        End the model with `nn.LogSoftmax(dim=1)` for NLLLoss, or return logits and use
        `nn.CrossEntropyLoss`.
    """
    t = self.thresholds
    calls = _training_calls(trace, ("nll_loss",))
    calls = [c for c in calls if c.producer != "log_softmax"]  # wrong-axis log_softmax: see LS005
    _enough(self, calls, "`nll_loss`")
    if not _all(calls, lambda c: not _logprob(c, t), t.MIN_CALLS):
        return []
    c = calls[0]
    kind = "probabilities" if all(_prob(x, t) for x in calls) else "raw scores (not log-probabilities)"
    msg = f"In all {len(calls)} sampled `nll_loss` calls the input rows are {kind}."
    return [self.finding(msg, c.producer_site or c.site, "Use `log_softmax(logits, dim=1)` before `nll_loss`, "
                         "or pass the logits to `cross_entropy` instead.", confidence=0.85, calls=len(calls),
                         input_kind=kind, shows_at=c.site)]


def needs_rows(trace: Trace) -> str | None:
    """A loss with one row per sample: a built-in loss call, or a hand-written per-row pick."""
    return None if trace.losses or trace.row_picks else "no loss function call or per-sample class pick was seen"


@rule("LS005", "softmax-wrong-dim", Severity.ERROR, "softmax / log_softmax normalises the wrong axis",
      requires=(needs_rows,), explains=("nll-without-log-softmax", "double-softmax") + WRONG_GRADIENT,
      thresholds={"MIN_CALLS": MIN_CALLS, **ROWS},
      panels=("predictions", "loss"))
def softmax_wrong_dim(self, trace: Trace):
    """
    What it detects:
        A classification loss (`cross_entropy`, `nll_loss`) fed by `softmax`/`log_softmax`
        whose output does not normalise over the class axis of the loss input: the softmax
        ran over the batch axis, or over the time axis of a sequence tagger (`dim=1` on a
        `[B, T, C]` tensor). Also a softmax anywhere in the forward pass (an attention
        block's scores, a classifier head) that normalises over the axis whose size is the
        batch size of the training loss, while the tensor has another axis (the classes,
        the keys) to normalise over. A hand-written loss counts as well: a per-sample pick
        of each row's class (`-torch.log(probs[torch.arange(N), y])`, `probs.gather(1,
        y[:, None])`) tells that the rows are the N samples. Deliberately not flagged: `[B, B]` similarity
        matrices of contrastive losses (both axes are the batch), softmax over a pooled
        set's instances (the loss has no per-sample rows), and `[B]`/`[B, 1]` scores
        normalised over a list (listwise ranking).

    Why it stops learning:
        The "probabilities" sum to one across samples or time steps instead of across
        classes, so the loss compares scores that were never a distribution over classes;
        each sample's prediction depends on the rest of the batch or sequence.

    Example:
        logp = torch.log_softmax(model(tokens), dim=1)      # [B, T, C]: dim 1 is time
        loss = F.nll_loss(logp.reshape(-1, C), tags.reshape(-1))

    Fix:
        Normalise over the classes, usually the last axis: `torch.log_softmax(logits, dim=-1)`.
    """
    calls = [c for c in _training_calls(trace, ("cross_entropy", "nll_loss"))
             if c.producer in ("softmax", "log_softmax")]
    t = self.thresholds
    wrong = [c for c in calls if not (_logprob(c, t) if c.producer == "log_softmax" else _prob(c, t))]
    if len(wrong) >= t.MIN_CALLS and len(wrong) == len(calls):
        c = wrong[0]
        dim = f"dim={c.producer_dim}" if c.producer_dim is not None else "its default dim"
        msg = (f"`{c.producer}` ran with {dim} on a {c.producer_ndim}-D tensor, but the `{c.fn}` input it feeds "
               f"(shape {list(c.pred_shape)}) does not sum to one over its class axis in {len(wrong)} sampled "
               f"calls: it normalised another axis (batch or time).")
        return [self.finding(msg, c.producer_site or c.site, f"Normalise over the class axis, usually the last one: "
                             f"`{c.producer}(logits, dim=-1)`.", confidence=0.9, calls=len(wrong),
                             dim=c.producer_dim, input_ndim=c.producer_ndim, shows_at=c.site)]
    return _softmax_over_batch(self, trace)


def batch_sizes(trace: Trace) -> dict[int, set[int]]:
    """Per sampled tick, the batch sizes of the training losses: the leading size of predictions
    that have one row per sample (a pooled set's single prediction has none to speak of)."""
    sizes: dict[int, set[int]] = {}
    for c in trace.losses:
        if c.training and c.pred_shape and c.target_shape and c.pred_shape[0] == c.target_shape[0] >= 2:
            sizes.setdefault(c.tick, set()).add(c.pred_shape[0])
    for p in trace.row_picks:
        sizes.setdefault(p.tick, set()).add(p.rows)
    return sizes


def _softmax_over_batch(self, trace: Trace):
    """A softmax that normalises over the axis whose size is the batch size, while the tensor has
    another axis (classes, keys) that is the distribution and the losses keep one row per sample."""
    batches = batch_sizes(trace)
    by_site: dict[tuple, list] = {}
    for r in trace.softmaxes:
        n = r.shape[r.dim]
        others = [d for i, d in enumerate(r.shape) if i != r.dim]
        if n not in batches.get(r.tick, ()) or n in others or not any(d > 1 for d in others):
            continue  # not the batch axis, ambiguous ([B, B] similarities), or nothing else to normalise
        by_site.setdefault(line_key(r.site), []).append(r)
    findings = []
    for recs in by_site.values():
        ticks = {r.tick for r in recs}
        if len(ticks) < self.thresholds.MIN_CALLS:
            continue
        r = recs[0]
        axes = ", ".join(f"{d}" for d in r.shape)
        msg = (f"`{r.fn}` normalises dim={r.dim} of a [{axes}] tensor on {len(ticks)} sampled steps; that axis has "
               f"the batch size ({r.shape[r.dim]}) of the loss computed on those steps. Each sample's weights are "
               f"divided by the other samples' instead of summing to one over its own classes or keys.")
        findings.append(self.finding(msg, r.site, f"Normalise over the distribution's own axis, usually the last "
                                     f"one: `{r.fn}(scores, dim=-1)`.", confidence=0.85, dim=r.dim,
                                     shape=tuple(r.shape), steps=len(ticks)))
    return findings


@rule("LS006", "output-range-mismatch", Severity.ERROR, "The final activation cannot produce the targets' range",
      requires=(needs_losses,), explains=("unscaled-targets",) + WRONG_GRADIENT,
      thresholds={"OUTSIDE_SHARE": OUTSIDE_SHARE, "MIN_CALLS": MIN_CALLS},
      panels=("predictions", "loss"))
def output_range_mismatch(self, trace: Trace):
    """
    What it detects:
        A regression loss whose prediction comes straight from a bounded activation that
        cannot reach a share of the targets: ReLU/softplus for targets that go negative,
        sigmoid for targets outside [0, 1], tanh outside [-1, 1]. ReLU or softplus outputs
        for non-negative targets (counts, prices) are correct and stay silent.

    Why it stops learning:
        Targets outside the activation's range can never be matched; the activation
        saturates where the error is largest, its gradient vanishes there (a ReLU output is
        dead for every negative target), and the loss plateaus.

    Example:
        model = nn.Sequential(nn.Linear(7, 32), nn.ReLU(), nn.Linear(32, 1), nn.Tanh())
        loss = F.mse_loss(model(x), rating)          # ratings from 0 to 10

    Fix:
        End a regression model with a plain Linear layer, or rescale the targets into the
        activation's range (e.g. `rating / 10` with a sigmoid).
    """
    t = self.thresholds
    findings = []
    calls = [c for c in _training_calls(trace, REGRESSION_LOSSES) if c.producer in RANGES]
    by_producer: dict[str, list[LossCall]] = {}
    for c in calls:
        by_producer.setdefault(c.producer, []).append(c)
    for producer, group in by_producer.items():
        field, reach = RANGES[producer]
        shares = [getattr(c, field) for c in group if getattr(c, field) is not None]
        if len(shares) < t.MIN_CALLS or min(shares) < t.OUTSIDE_SHARE:
            continue
        c = group[0]
        share = sum(shares) / len(shares)
        msg = (f"The predictions come from `{producer}`, which only produces {reach}, but {share:.0%} of the "
               f"targets (range {c.target_min:.3g} to {c.target_max:.3g}) lie outside it "
               f"(threshold {t.OUTSIDE_SHARE:.0%}).")
        findings.append(self.finding(msg, c.producer_site or c.site, f"Remove the final `{producer}` so the last "
                                     "layer is linear, "
                                     "or rescale the targets into its range.", confidence=0.85,
                                     activation=producer, outside_share=share, target_min=c.target_min,
                                     target_max=c.target_max, shows_at=c.site))
    return findings
