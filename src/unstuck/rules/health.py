"""Initialisation and gradient health: symmetry, vanishing and exploding gradients,
dead units, second derivatives."""
from __future__ import annotations

import statistics

from unstuck.reportdata import Severity
from unstuck.rules.base import KEPT_NAMES, SHOWN_NAMES, first_site, needs_optimizer, rule
from unstuck.rules.links import NO_UPDATE, SYMPTOMS
from unstuck.rules.measures import finite, layer_ratios, line_key, stepping_optimizer
from unstuck.rules.symptoms import CONSTANT_LEVEL, at_constant_level
from unstuck.trace import Trace

VANISHING_RATIO = 1e-3  # first weight layer's gradient norm / last layer's below this
STALLED_VANISHING_RATIO = 1e-2  # ... or below this while the loss learned nothing (SY002's measure)
MIN_LAYERS = 3  # weight layers needed to speak of depth
EXPLODING_GROWTH = 1e4  # gradient norm growth from the first sampled steps to the largest later one
EXPLODING_LAYER_RATIO = 1e4  # first layer's gradient norm / last layer's above this
EXPLODING_AT_INIT = 1e3  # gradient norm / parameter norm at the very first step above this
DEAD_FRACTION = 0.9  # share of a ReLU layer's units that are zero for every sample
DEAD_SHARE_OF_STEPS = 0.5  # share of sampled steps on which the layer is that dead
MIN_UNITS = 8  # ReLU outputs with fewer units are not judged
WHOLE_DEAD_STEPS = 3  # batches under MIN_BATCH count when every unit is dead on every one of these many steps
MIN_BATCH = 8  # ... nor batches of fewer samples (a unit is easily zero for all of a few samples)
MAX_DEAD_LAYERS = 3  # dead-relu reports at most this many layers
START_STEPS = 3  # exploding gradients: the first sampled steps whose median is the starting norm


def _next_weight(trace: Trace, pid: int) -> int | None:
    """The weight matrix of the layer that ran right after this one (by first forward order)."""
    order = trace.params[pid].layer_order if pid in trace.params else -1
    later = [(info.layer_order, p) for p, info in trace.params.items()
             if info.layer_order > order >= 0 and len(info.shape) >= 2]
    return min(later)[1] if later else None


def _symmetric_layers(trace: Trace) -> list[int]:
    """Hidden layers whose units stay identical: identical rows, and a next layer that treats
    them identically (identical columns). A zero-initialised output layer, or a zero-initialised
    matrix followed by a random one (LoRA's B), breaks no symmetry that training cannot undo.
    A normalization layer's scale (ones by design, a matrix for `nn.LayerNorm([T, F])`)
    multiplies element by element: it has no units."""
    return [p for p in trace.symmetric_params
            if "Norm" not in trace.params[p].module_type
            and (nxt := _next_weight(trace, p)) is not None and nxt in trace.symmetric_inputs]


@rule("IN001", "symmetric-init", Severity.ERROR, "Weights start identical, so units stay identical",
      requires=(needs_optimizer,),
      explains=("dead-relu", "vanishing-gradients", "input-ignored") + NO_UPDATE)
def symmetric_init(self, trace: Trace):
    """
    What it detects:
        Hidden-layer weight matrices whose rows (one per unit) are all identical before the
        first update, followed by a layer whose weights treat those units identically
        (identical columns): typically `nn.init.zeros_` or `constant_` on every weight. A
        zero-initialised *output* layer, or a zero matrix followed by a random one (LoRA's
        B), is a known good practice and stays silent, as is a normalization layer's scale
        (ones by design, a matrix for `nn.LayerNorm([T, F])`).

    Why it stops learning:
        Identical units compute the same output and receive the same gradient, so they stay
        identical forever: a layer of 32 units behaves like one unit. With zeros, the layers
        before get no gradient at all.

    Example:
        for m in model:
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.weight)

    Fix:
        Keep PyTorch's default initialisation, or use a random one:
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu"); nn.init.zeros_(m.bias)
    """
    hidden = _symmetric_layers(trace)
    if not hidden:
        return []
    names = ", ".join(f"`{trace.param_name(p)}` {list(trace.params[p].shape)}" for p in hidden[:SHOWN_NAMES])
    opt = stepping_optimizer(trace)
    msg = (f"{len(hidden)} hidden weight matrices had all rows identical at the first step: {names}. Every unit "
           f"in these layers computes the same thing and gets the same update.")
    return [self.finding(msg, opt.site, "Initialise weights randomly (PyTorch's default, or "
                         "`nn.init.kaiming_normal_(w, nonlinearity='relu')`); constant init is for biases only.",
                         confidence=0.9, layers=len(hidden),
                         names=tuple(trace.param_name(p) for p in hidden[:KEPT_NAMES]))]


def init_gradient_ratio(trace: Trace) -> float | None:
    """Gradient norm / parameter norm at the first optimizer step (None if unknown or not finite)."""
    first = next((s for s in trace.steps if s.tick == 0 and s.grad_norm is not None and s.param_norm), None)
    if first is None:
        return None
    if not finite(first.grad_norm):
        return None  # non-finite from the start: the data or the loss, not the gradient scale
    return first.grad_norm / first.param_norm


@rule("IN002", "vanishing-gradients", Severity.WARNING, "Gradients vanish towards the input layers",
      requires=(needs_optimizer,), explains=("input-ignored",) + NO_UPDATE,
      thresholds={"VANISHING_RATIO": VANISHING_RATIO, "STALLED_VANISHING_RATIO": STALLED_VANISHING_RATIO,
                  "MIN_LAYERS": MIN_LAYERS, **CONSTANT_LEVEL},
      panels=("gradients", "gradient_flow"))
def vanishing_gradients(self, trace: Trace):
    """
    What it detects:
        In a network of at least {MIN_LAYERS} weight layers, the gradient norm of the first
        (input-side) weight matrix is below {VANISHING_RATIO} times the last one's, as the
        median over sampled steps; or below {STALLED_VANISHING_RATIO} times while the loss stays at the
        level of a constant prediction (`loss-plateau`'s measure): a deep sigmoid stack that
        never leaves chance.

    Why it stops learning:
        The early layers barely move, so the network keeps random low-level features and
        behaves like a much shallower one; deep stacks of saturating activations (tanh,
        sigmoid) with small weights are the classic case.

    Example:
        for i in range(25):
            lin = nn.Linear(64, 64); nn.init.normal_(lin.weight, std=0.02)
            layers += [lin, nn.Tanh()]

    Fix:
        Use a variance-preserving initialisation (`nn.init.xavier_uniform_` for tanh,
        `kaiming_normal_` for ReLU), ReLU-family activations, normalisation layers
        (`LayerNorm`/`BatchNorm`) or residual connections.
    """
    t = self.thresholds
    ratios = layer_ratios(trace, t.MIN_LAYERS)
    if len(ratios) < 2:
        return []
    ratio = statistics.median(ratios)
    if ratio < t.VANISHING_RATIO:
        threshold, stalled = t.VANISHING_RATIO, ""
    elif ratio < t.STALLED_VANISHING_RATIO and at_constant_level(trace, t):
        threshold, stalled = t.STALLED_VANISHING_RATIO, ", while the loss stays at a constant prediction's level"
    else:
        return []
    msg = (f"The first weight layer's gradient is {ratio:.2g} times the last one's (median over {len(ratios)} "
           f"sampled steps; threshold {threshold:g}{stalled}): the layers near the input barely learn.")
    return [self.finding(msg, first_site(trace.steps), "Use xavier/kaiming initialisation, ReLU-family "
                         "activations, normalisation layers or residual connections.", confidence=0.6,
                         gradient_ratio=ratio, steps=len(ratios))]


@rule("IN003", "exploding-gradients", Severity.WARNING, "Gradient norms explode",
      requires=(needs_optimizer,), explains=("nonfinite-values", "dead-relu") + SYMPTOMS,
      thresholds={"EXPLODING_GROWTH": EXPLODING_GROWTH, "EXPLODING_LAYER_RATIO": EXPLODING_LAYER_RATIO,
                  "EXPLODING_AT_INIT": EXPLODING_AT_INIT, "START_STEPS": START_STEPS, "MIN_LAYERS": MIN_LAYERS},
      panels=("gradients", "gradient_flow"))
def exploding_gradients(self, trace: Trace):
    """
    What it detects:
        The total gradient norm is already more than {EXPLODING_AT_INIT} times the parameters'
        norm at the very first step (before any update could have caused it), grows more than
        {EXPLODING_GROWTH}-fold from the first {START_STEPS} sampled steps, or the first
        layer's gradient is more than {EXPLODING_LAYER_RATIO} times the last layer's.

    Why it stops learning:
        Huge gradients make each step overshoot; the weights jump around, activations
        saturate or overflow, and the loss turns into NaN.

    Example:
        loss.backward(); opt.step()    # grad norm 1e0, 1e3, 1e7, inf ...

    Fix:
        Lower the learning rate, clip gradients
        (`torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)`), normalise inputs and
        targets, and use a variance-preserving initialisation.
    """
    t = self.thresholds
    ratio = init_gradient_ratio(trace)
    if ratio is not None and ratio > t.EXPLODING_AT_INIT:
        msg = (f"At the first step, before any update, the gradient norm is {ratio:.3g} times the parameters' norm "
               f"(threshold {t.EXPLODING_AT_INIT:g}): the forward pass amplifies the signal layer after layer.")
        return [self.finding(msg, first_site(trace.steps), "Use a variance-preserving initialisation "
                             "(`kaiming_normal_` for ReLU, `xavier_uniform_` for tanh), normalise inputs and "
                             "targets, and clip gradients.", confidence=0.7, gradient_to_parameter_ratio=ratio)]
    norms = [s.grad_norm for s in trace.steps if s.grad_norm is not None and s.grad_norm > 0]
    if len(norms) >= t.START_STEPS + 1:
        start = statistics.median(norms[:t.START_STEPS])
        peak = max(norms[t.START_STEPS:])
        nonfinite = not finite(peak)
        if nonfinite or peak / start > t.EXPLODING_GROWTH:
            growth = float("inf") if nonfinite else peak / start
            msg = (f"The gradient norm grew from {start:.3g} to {peak:.3g} ({growth:.3g}-fold; threshold "
                   f"{t.EXPLODING_GROWTH:g}) over the sampled steps.")
            return [self.finding(msg, first_site(trace.steps), "Lower the learning rate and clip gradients with "
                                 "`torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)`.", confidence=0.6,
                                 start_norm=start, peak_norm=peak)]
    ratios = layer_ratios(trace, t.MIN_LAYERS)
    if len(ratios) >= 2 and statistics.median(ratios) > t.EXPLODING_LAYER_RATIO:
        ratio = statistics.median(ratios)
        msg = (f"The first weight layer's gradient is {ratio:.3g} times the last one's (threshold "
               f"{t.EXPLODING_LAYER_RATIO:g}): gradients grow layer after layer towards the input.")
        return [self.finding(msg, first_site(trace.steps), "Use a variance-preserving initialisation, "
                             "normalisation layers, and gradient clipping.", confidence=0.5, gradient_ratio=ratio)]
    return []


@rule("IN004", "dead-relu", Severity.WARNING, "Most units of a ReLU layer are dead",
      explains=("vanishing-gradients", "input-ignored") + NO_UPDATE,
      thresholds={"DEAD_FRACTION": DEAD_FRACTION, "DEAD_SHARE_OF_STEPS": DEAD_SHARE_OF_STEPS,
                  "MIN_UNITS": MIN_UNITS, "MIN_BATCH": MIN_BATCH, "WHOLE_DEAD_STEPS": WHOLE_DEAD_STEPS,
                  "MAX_DEAD_LAYERS": MAX_DEAD_LAYERS},
      panels=("activations", "gradient_flow"))
def dead_relu(self, trace: Trace):
    """
    What it detects:
        A ReLU (of at least {MIN_UNITS} units, in training batches of at least {MIN_BATCH}
        samples) whose output is zero for every sample of the batch in at least {DEAD_FRACTION:.0%} of its units, on at least {DEAD_SHARE_OF_STEPS:.0%}
        of the sampled training steps (at most {MAX_DEAD_LAYERS} layers are reported). In smaller batches
        (2 or more samples) only a ReLU whose every unit is zero on every sampled step, {WHOLE_DEAD_STEPS} or
        more: a wholly dead layer is no chance of a small batch.

    Why it stops learning:
        A ReLU that outputs zero has zero gradient: dead units never recover, and the
        layers before them receive no gradient through them. Large negative biases, a
        too-high learning rate or unscaled inputs kill them.

    Example:
        nn.init.constant_(self.hidden.bias, -10.0)
        h = torch.relu(self.hidden(x))          # zero for every input

    Fix:
        Keep default (or small, non-negative) bias initialisation, lower the learning rate,
        normalise the inputs, or use `LeakyReLU`/`GELU`, which keep a gradient for negative
        inputs.
    """
    t = self.thresholds
    by_site: dict[tuple, list] = {}
    for a in trace.activations:
        if a.units >= t.MIN_UNITS and a.batch >= 2 and a.training:
            by_site.setdefault((line_key(a.site), a.units, a.defined_at, a.batch >= t.MIN_BATCH), []).append(a)
    findings = []
    for (*_, full_batches), recs in by_site.items():
        dead = [a for a in recs if a.dead_fraction >= t.DEAD_FRACTION]
        if len(recs) < 2 or len(dead) < t.DEAD_SHARE_OF_STEPS * len(recs):
            continue
        if not full_batches and (len(recs) < t.WHOLE_DEAD_STEPS or any(a.dead_fraction < 1 for a in recs)):
            continue
        frac = statistics.median(a.dead_fraction for a in recs)
        a = recs[0]
        msg = (f"{frac:.0%} of the {a.units} units of this `{a.kind}` output zero for every sample (threshold "
               f"{t.DEAD_FRACTION:.0%}), on {len(dead)} of {len(recs)} sampled steps: they get no gradient.")
        findings.append(self.finding(msg, a.defined_at or a.site, "Check the bias initialisation and the learning "
                                     "rate, normalise the inputs, or use `nn.LeakyReLU`/`nn.GELU`.", confidence=0.6,
                                     dead_fraction=frac, units=a.units, steps=len(dead), shows_at=a.site))
    return findings[:t.MAX_DEAD_LAYERS]


ZERO_MIN_TICKS = 2  # sampled steps on which a create_graph derivative came back identically zero
ZERO_SHARE = 0.5  # ... out of the sampled steps that computed create_graph derivatives


@rule("IN005", "zero-second-derivative", Severity.ERROR, "A loss needs second derivatives through ReLU",
      explains=("vanishing-gradients",) + NO_UPDATE,
      thresholds={"ZERO_MIN_TICKS": ZERO_MIN_TICKS, "ZERO_SHARE": ZERO_SHARE})
def zero_second_derivative(self, trace: Trace):
    """
    What it detects:
        `torch.autograd.grad(..., create_graph=True)` (physics-informed losses, u_xx terms)
        through piecewise-linear activations (ReLU, LeakyReLU, Hardtanh ...) whose result,
        the derivative that the loss goes on to train, is exactly zero everywhere, on at
        least {ZERO_SHARE:.0%} of the sampled steps that take such derivatives (and at least
        {ZERO_MIN_TICKS} of them).

        Deliberately not flagged: create_graph derivatives through ReLU-like networks that
        are not zero, such as a WGAN-GP gradient penalty (the first derivative of a
        LeakyReLU critic depends on its weights), second-order MAML (the inner gradient
        w.r.t. the weights has a non-zero Hessian), double backpropagation / input-gradient
        penalties, or a first-derivative PINN term. Their weight gradient is non-zero and
        they train.

    Why it stops learning:
        A ReLU network is piecewise linear in its input: its second derivative is zero
        almost everywhere. A residual such as `u_xx - f` then does not depend on the
        weights at all, and the PDE term cannot be fitted. An L1 residual adds to it: its
        own curvature is zero too.

    Example:
        net = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 1))
        ux = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
        uxx = torch.autograd.grad(ux.sum(), x, create_graph=True)[0]     # == 0

    Fix:
        Use smooth activations (`nn.Tanh`, `nn.SiLU`, `nn.Softplus`, `nn.GELU`) in networks
        whose derivatives enter the loss, and prefer a squared residual.
    """
    second_order = [g for g in trace.grad_calls if g.create_graph and g.result_zero is not None]
    zero = [g for g in second_order if g.result_zero and g.relu_nodes]
    ticks = {g.tick for g in second_order}
    zero_ticks = {g.tick for g in zero}
    t = self.thresholds
    if len(zero_ticks) < t.ZERO_MIN_TICKS or len(zero_ticks) < t.ZERO_SHARE * len(ticks):
        return []
    g = zero[0]
    msg = (f"`autograd.grad(..., create_graph=True)` differentiates through {g.relu_nodes} ReLU-like nodes and "
           f"returned a derivative that is exactly zero everywhere, on {len(zero_ticks)} of {len(ticks)} sampled "
           f"steps (threshold {t.ZERO_SHARE:.0%}): the network's higher derivatives vanish, so the term built on "
           f"them cannot be trained.")
    return [self.finding(msg, g.site, "Replace ReLU by a smooth activation such as `nn.Tanh()` or `nn.SiLU()`.",
                         confidence=0.9, relu_nodes=g.relu_nodes, zero_steps=len(zero_ticks), steps=len(ticks))]
