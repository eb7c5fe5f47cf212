"""Which parameters receive gradients, and which optimizers hold them."""
from __future__ import annotations

from unstuck.reportdata import Severity
from unstuck.rules.base import KEPT_NAMES, SHOWN_NAMES, first_site, needs_backward, needs_optimizer, needs_steps, rule
from unstuck.rules.links import NO_UPDATE, SYMPTOMS
from unstuck.rules.optimizer_use import cleared_before
from unstuck.trace import Trace

MIN_UNOPTIMIZED_PASSES = 2  # sampled backward passes that reached a parameter outside every optimizer
FROZEN_SHARE = 0.9  # share of the optimizer's elements with requires_grad=False
FREEZE_CALL_SHARE = 0.5  # a requires_grad_(False) call that froze this share of the frozen elements is the one to fix
MIN_BIAS_LAYERS = 2  # bias-only fine-tuning (BitFit) trains the biases of at least this many layers
MIN_UNREACHED_STEPS = 3  # sampled steps on which the same parameters were not reached
UNREACHED_ERROR_SHARE = 0.5  # above this share of the used elements the finding is an error
MIN_EMPTY_OPTIMIZER_STEPS = 5  # sampled steps of one optimizer, every one with no gradient on its parameters


def _names(trace: Trace, pids, limit: int = SHOWN_NAMES) -> str:
    names = sorted({trace.param_name(p).rsplit(".", 1)[0] for p in pids})
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(f"`{n}`" for n in names[:limit]) + more


@rule("GF001", "params-not-optimized", Severity.ERROR, "Parameters get gradients but no optimizer updates them",
      requires=(needs_optimizer, needs_backward), explains=SYMPTOMS,
      thresholds={"MIN_UNOPTIMIZED_PASSES": MIN_UNOPTIMIZED_PASSES})
def params_not_optimized(self, trace: Trace):
    """
    What it detects:
        Parameters (`nn.Parameter`) that the loss's backward pass reaches, so they get
        gradients, but that belong to no optimizer that steps: layers kept in a plain Python list or
        dict (not `nn.ModuleList`/`nn.ModuleDict`, so `model.parameters()` misses them), an
        optimizer built for an older model object, or an optimizer built from
        `filter(lambda p: p.requires_grad, ...)` before the layers were unfrozen.

    Why it stops learning:
        Those layers keep their initial random weights forever; whatever depends on them
        has to work around random features.

    Example:
        self.branches = {"a": nn.Linear(8, 16)}          # plain dict: not registered
        opt = torch.optim.Adam(model.parameters())       # misses branches["a"]

    Fix:
        Register sub-layers with `nn.ModuleList`/`nn.ModuleDict`, build the optimizer after
        the final model exists and after unfreezing, or add the missing parameters with
        `optimizer.add_param_group({"params": ...})`.
    """
    t = self.thresholds
    stepping = [o for o in trace.optimizers.values() if o.steps] or list(trace.optimizers.values())
    optimized = {pid for o in stepping for pid in o.param_ids}
    missing = [pid for pid, n in trace.grad_reached.items()
               if n >= t.MIN_UNOPTIMIZED_PASSES and pid not in optimized]
    if not missing:
        return []
    elems = trace.elems(missing)
    total = elems + trace.elems(optimized)
    opt = stepping[0]
    msg = (f"{len(missing)} parameter tensors ({elems:,} of {total:,} elements, {elems / max(1, total):.0%}) "
           f"received gradients in {max(trace.grad_reached[p] for p in missing)} sampled backward passes "
           f"but are in no optimizer: {_names(trace, missing)}.")
    fix = ("Register sub-layers with `nn.ModuleList`/`nn.ModuleDict` (not a list or dict), and build the "
           "optimizer from the final model after any unfreezing, e.g. "
           "`opt = torch.optim.Adam(model.parameters(), lr=...)`; or "
           "`opt.add_param_group({'params': missing_params})`.")
    return [self.finding(msg, opt.site, fix, confidence=0.9, parameters=len(missing), elements=elems,
                         names=tuple(sorted({trace.param_name(p) for p in missing}))[:KEPT_NAMES])]


@rule("GF002", "frozen-params", Severity.ERROR, "Nearly every parameter of the model is frozen",
      requires=(needs_optimizer, needs_steps(1)),
      explains=("vanishing-gradients",) + NO_UPDATE,
      thresholds={"FROZEN_SHARE": FROZEN_SHARE, "FREEZE_CALL_SHARE": FREEZE_CALL_SHARE,
                  "MIN_BIAS_LAYERS": MIN_BIAS_LAYERS})
def frozen_params(self, trace: Trace):
    """
    What it detects:
        Optimizer steps while (nearly) every parameter is `requires_grad=False` and no weight
        matrix is left trainable: a freezing loop whose condition matches every parameter, or
        a helper meant to freeze some layers (batch-norm) that calls `requires_grad_(False)` on
        the whole model it was given. Judged both over the optimizer's own parameters and over
        every parameter of the models, so it is also caught when the optimizer was built from
        what was left trainable (`filter(lambda p: p.requires_grad, ...)`), wherever the
        freezing call was made. Freezing a backbone on purpose leaves a trainable head (a
        weight matrix) and stays silent, whether or not the frozen part is passed to the
        optimizer; so does bias-only fine-tuning (BitFit): every weight frozen and the bias of
        every layer that ran left to learn, in at least MIN_BIAS_LAYERS layers. A bias or a
        scale left over by a freezing mistake (one tensor, or not every layer's bias) is not
        that. The finding points at the line to edit: the `requires_grad_(False)` call
        that froze most of it, else a `p.requires_grad = False` assignment in the user's code
        (found in the source after the run), else the optimizer's construction.

    Why it stops learning:
        Frozen parameters get no gradient, so the optimizer has nothing to update: the
        model stays at its initialisation.

    Example:
        def freeze_bn(model):
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    model.requires_grad_(False)      # meant m.requires_grad_(False)

    Fix:
        Fix the freezing condition so the layers that should learn keep
        `requires_grad=True`, and check with
        `sum(p.numel() for p in model.parameters() if p.requires_grad)`.
    """
    t = self.thresholds
    findings = []
    for opt in trace.optimizers.values():
        recs = [s for s in trace.steps if s.opt == opt.key and s.elems]
        if not recs:
            continue
        last = recs[-1]
        share = last.frozen_elems / last.elems
        model_share = last.model_frozen_elems / last.model_elems if last.model_elems else 0.0
        if share >= t.FROZEN_SHARE and last.trainable_matrices == 0:
            elems, frozen, scope = last.elems, last.frozen_elems, f"given to {opt.cls}"
        elif model_share >= t.FROZEN_SHARE and last.model_trainable_matrices == 0:
            elems, frozen = last.model_elems, last.model_frozen_elems
            scope = f"of the models ({opt.cls} holds {last.elems:,} of them)"
        else:
            continue
        if _bias_only_tuning(trace, last.model_trainable_params, t):
            continue
        freeze = _freeze_call(trace, frozen, t)
        assigned = next((c for c in trace.freeze_calls if c.how == "assignment" and c.site is not None), None)
        if freeze is not None:
            how = f" One `requires_grad_(False)` call froze {freeze.elems:,} of them."
        elif assigned is not None:
            freeze = assigned
            how = " The code sets `requires_grad = False` by assignment at the line shown."
        else:
            how = ""
        msg = (f"{frozen / elems:.1%} of the {elems:,} parameter elements {scope} have requires_grad=False "
               f"(threshold {t.FROZEN_SHARE:.0%}) and no weight matrix is left trainable: only "
               f"{elems - frozen:,} elements can learn.{how}")
        frozen_at = freeze.site if freeze is not None else next(
            (c.site for c in trace.freeze_calls if c.site is not None), None)
        findings.append(self.finding(msg, frozen_at or opt.site,
                                     "Fix the freezing condition so the layers meant to learn keep "
                                     "`requires_grad=True` (freeze the loop variable, not the whole model).",
                                     confidence=0.85, frozen_share=frozen / elems, elements=elems,
                                     trainable_elements=elems - frozen, shows_at=opt.site))
    return findings


def _is_bias(trace: Trace, pid: int) -> bool:
    info = trace.params.get(pid)
    return info is not None and info.name.rsplit(".", 1)[-1] == "bias"


def _bias_only_tuning(trace: Trace, trainable: tuple[int, ...], t) -> bool:
    """BitFit: what can learn is biases only, the bias of every layer that ran (a module
    hook saw it), in at least MIN_BIAS_LAYERS layers."""
    if len(trainable) < t.MIN_BIAS_LAYERS or not all(_is_bias(trace, pid) for pid in trainable):
        return False
    ran = {pid for pid, info in trace.params.items() if info.layer_order >= 0 and _is_bias(trace, pid)}
    return ran <= set(trainable)


def _freeze_call(trace: Trace, frozen_elems: int, t):
    """The `requires_grad_(False)` call that froze the largest part (at least FREEZE_CALL_SHARE) of
    what is frozen (an assignment found in the source has no measured part: never this one)."""
    calls = [f for f in trace.freeze_calls if f.site is not None and f.elems >= t.FREEZE_CALL_SHARE * frozen_elems]
    return max(calls, key=lambda f: f.elems) if calls else None


def _cut_off(cut) -> set[int]:
    """The parameters a cut cut off: behind it, or, when its values were followed, behind the
    occurrences whose values went into a gradient pass."""
    return cut.fed_behind if cut.followed else cut.behind


def _never_reached(rule, trace: Trace, cut) -> list:
    """An optimizer that stepped on no gradient at all: on every sampled step of it, none of
    its trainable parameters had a gradient (`.grad` None: a gradient of zeros reached them and
    is dead-relu's or vanishing-gradients' to judge), although a backward pass ran since its previous
    step and after any `zero_grad()` (a cleared gradient is zero-grad-misplaced's), and its
    parameters did run in a forward pass (an optimizer holding parameters nothing uses is
    params-not-optimized's)."""
    t = rule.thresholds
    by_opt: dict[int, list] = {}
    for s in trace.steps:
        if s.backwards_since_step >= 1 and s.elems - s.frozen_elems > 0:
            by_opt.setdefault(s.opt, []).append(s)
    for key, steps in by_opt.items():
        opt = trace.optimizers.get(key)
        if (opt is None or len(steps) < t.MIN_EMPTY_OPTIMIZER_STEPS
                or not all(s.no_grad_elems - s.zero_grad_elems >= s.elems - s.frozen_elems
                           and not cleared_before(trace, s) for s in steps)):
            continue
        ran = [p for p in opt.param_ids if p in trace.params and trace.params[p].layer_order >= 0]
        if not ran or len(ran) < len(opt.param_ids):
            continue
        how = f" A cut was seen at line {cut.site.line} ({cut.op})." if cut and cut.site else ""
        msg = (f"{opt.cls} holding {_names(trace, opt.param_ids)} stepped {len(steps)} sampled times, and at every "
               f"one none of its parameters had a gradient, although backward() ran before each step: the loss "
               f"it minimises does not reach them (they ran in a forward pass whose result was detached, or the "
               f"loss is computed without them).{how}")
        return [rule.finding(msg, cut.site if cut and cut.site else steps[0].site,
                             "Compute this optimizer's loss from a forward pass that keeps the graph: for a GAN's "
                             "generator, D(G(z)) on a fake batch that is not detached (detach only for the "
                             "discriminator's loss).", confidence=0.8, steps=len(steps), optimizer=opt.cls,
                             shows_at=steps[0].site)]
    return []


@rule("GF003", "detached-graph", Severity.ERROR, "The loss's graph is cut: parameters get no gradient",
      requires=(needs_backward,),
      explains=("zero-grad-misplaced", "optimizer-step-missing", "vanishing-gradients") + NO_UPDATE,
      thresholds={"MIN_UNREACHED_STEPS": MIN_UNREACHED_STEPS, "UNREACHED_ERROR_SHARE": UNREACHED_ERROR_SHARE,
                  "MIN_EMPTY_OPTIMIZER_STEPS": MIN_EMPTY_OPTIMIZER_STEPS})
def detached_graph(self, trace: Trace):
    """
    What it detects:
        Trainable parameters in an optimizer that ran in the forward pass but that no
        `backward()` reaches: the graph between them and the loss was cut by `.detach()`,
        `.data`, `.item()`, a NumPy round trip, re-wrapping in `torch.tensor(...)` or
        `torch.no_grad()`. Includes the cover-up `loss.requires_grad_(True)` /
        `torch.tensor(loss.item(), requires_grad=True)`, which silences PyTorch's error
        and leaves a loss with no history at all. Intended cuts (a GAN's `fake.detach()`,
        a frozen backbone) leave every optimized parameter reached and stay silent. Layers
        that are bypassed rather than cut (no cut was seen and they ran with gradients on:
        an output nobody uses, such as a WaveNet's last residual convolution, or a model
        whose output does not depend on its input, `input-ignored`'s to report) stay silent,
        as do parameters the script moves itself while they never get a gradient (an EMA
        teacher inside the model, which `model.parameters()` also gave the optimizer). A
        `.detach()`/`.data` counts as the cut only if its value (followed through the ops
        after it on sampled steps) goes into a gradient pass: a layer whose output is unused
        and only monitored (`out.detach().norm().item()`) was not cut off by the monitor; of
        a line that cuts several values (a `stopgrad()` helper), only the parameters behind the
        values that went into a gradient pass count.
        Also an optimizer whose parameters ran in a forward pass but had no gradient at any
        of its sampled steps ({MIN_EMPTY_OPTIMIZER_STEPS} or more), although a backward pass ran
        after its last `zero_grad()` each time: the loss it steps on never reaches them (a GAN's
        generator loss computed on the detached fake batch).

    Why it stops learning:
        Parameters behind the cut receive no gradient; the optimizer steps on nothing and
        they keep their initial values while the loss value still prints normally.

    Example:
        raw = F.mse_loss(model(x), y)
        loss = torch.tensor(raw.item(), requires_grad=True)   # a new leaf: no graph
        loss.backward()

    Fix:
        Call backward() on the loss tensor itself and keep every step in torch:
        loss = F.mse_loss(model(x), y)
        loss.backward()
        Use `.item()`/`.detach()`/NumPy only for logging.
    """
    t = self.thresholds
    findings = []
    leaf = [b for b in trace.backwards if b.loss_is_leaf and not b.in_step]
    cut = trace.cuts[0] if trace.cuts else None
    if leaf and trace.ticks >= 1:
        how = f" It was re-created at this line with {cut.op}." if cut else ""
        msg = (f"{len(leaf)} sampled backward() calls ran on a loss that has no autograd history (a leaf tensor "
               f"with requires_grad=True), so no parameter received a gradient.{how}")
        site = cut.site if cut and cut.site else leaf[0].site
        findings.append(self.finding(msg, site, "Call backward() on the loss computed from the model's output; "
                                     "do not rebuild it from `.item()`, `.detach()` or NumPy values.",
                                     confidence=0.95, leaf_losses=len(leaf),
                                     cut=cut.op if cut else None))
        return findings
    recs = [s for s in trace.steps if s.unreached_elems is not None and s.used_elems]
    unreached = [s for s in recs if s.unreached_elems]
    if len(unreached) < t.MIN_UNREACHED_STEPS or len(unreached) < len(recs):
        return _never_reached(self, trace, cut)
    common = set(unreached[0].unreached_params)
    for s in unreached[1:]:
        common &= set(s.unreached_params)
    # The cut is seen: parameters behind a `.detach()`/`.data`/`.item()`/NumPy cut (in the cut
    # tensor's graph; a cut seen after these steps, a `loss.item()` printed after the loop, cut
    # nothing here), or run with gradients off (a `torch.no_grad()` block). Layers that ran with
    # gradients on, behind no cut, are bypassed: their output is unused (a WaveNet's last residual
    # convolution) or ignored (input-ignored's to say). A tensor cut whose values were followed and
    # never went into a gradient pass only logged or monitored them (`x.detach().norm().item()`);
    # of one that was, only the occurrences whose values went in count (one stop-gradient helper
    # that makes a training target and also a logged copy of an unused head).
    cuts = [c for c in trace.cuts if c.tick <= unreached[-1].tick and _cut_off(c) & common]
    behind = set().union(*(_cut_off(c) for c in cuts))
    for s in unreached:
        behind |= set(s.unreached_without_grad)
    common &= behind
    # moved by the script itself while they never had a gradient (an EMA teacher or a polyak
    # target that `model.parameters()` also handed to the optimizer): updated, not stuck
    for s in unreached:
        common -= set(s.hand_updated)
    if not common:
        return findings
    cut = next((c for c in cuts if _cut_off(c) & common), None)
    elems = trace.elems(common)
    share = elems / max(1, unreached[-1].used_elems)
    severity = Severity.ERROR if share >= t.UNREACHED_ERROR_SHARE else Severity.WARNING
    how = f" The graph is cut with {cut.op} here." if cut else " They ran with gradients off (`torch.no_grad()`)."
    msg = (f"{_names(trace, common)} ({elems:,} elements, {share:.0%} of the trainable parameters that ran) took "
           f"part in the forward pass on {len(unreached)} sampled steps, but no backward() reached them.{how}")
    findings.append(self.finding(msg, cut.site if cut else first_site(unreached),
                                 "Remove the `.detach()`/`.data`/`.item()`/NumPy step or the `torch.no_grad()` "
                                 "block between these layers and the loss.", severity=severity,
                                 confidence=0.8, unreached_elements=elems, share=share,
                                 steps=len(unreached)))
    return findings
