"""How the optimizer is driven: zero_grad / backward / step."""
from __future__ import annotations

from unstuck.reportdata import Severity
from unstuck.rules.base import first_site, needs_backward, needs_steps, rule
from unstuck.rules.links import NO_UPDATE, WRONG_GRADIENT
from unstuck.rules.measures import stepping_optimizer
from unstuck.trace import Trace

STALE_MIN_STEPS = 3  # sampled steps with accumulated gradients needed before reporting
STALE_SHARE = 0.8  # share of checked steps whose gradients were accumulated across updates
STALE_ELEM_SHARE = 0.5  # a step is stale when at least this share of its checked gradient elements is
MANUAL_STALE_PARAM_SHARE = 0.5  # a manual update is stale when more than this share of its parameters is
EMPTY_MIN_STEPS = 3  # sampled steps on cleared gradients needed before reporting
MIN_STEPS = 3  # training steps needed before judging how the optimizer is driven
EMPTY_SHARE = 0.8  # share of steps that ran on cleared (None or zero) gradients
MIN_BACKWARDS_NO_STEP = 3


@rule("OP001", "missing-zero-grad", Severity.ERROR, "Gradients are never cleared between updates",
      requires=(needs_backward, needs_steps("MIN_STEPS")),
      explains=WRONG_GRADIENT,
      thresholds={"STALE_MIN_STEPS": STALE_MIN_STEPS, "STALE_SHARE": STALE_SHARE, "MIN_STEPS": MIN_STEPS,
                  "STALE_ELEM_SHARE": STALE_ELEM_SHARE, "MANUAL_STALE_PARAM_SHARE": MANUAL_STALE_PARAM_SHARE},
      panels=("gradients", "loss"))
def missing_zero_grad(self, trace: Trace):
    """
    What it detects:
        Parameter updates whose gradient still contains the gradient of an earlier update:
        between two updates nothing cleared `.grad` (no `zero_grad()`, no `p.grad = None`,
        no `p.grad.zero_()`), so `backward()` added onto the gradient already applied. This
        is checked on the gradient tensors themselves, for optimizers and for manual
        `w -= lr * w.grad` updates. Deliberate gradient accumulation that clears after
        every k-th step stays silent.

    Why it stops learning:
        The gradient becomes a running sum of all past gradients. Updates grow step after
        step, point in a stale direction, and training oscillates or diverges as if the
        learning rate kept increasing.

    Example:
        for x, y in loader:
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()                      # .grad is never reset

    Fix:
        Clear the gradients once per update, before backward():
        opt.zero_grad()
        loss.backward()
        opt.step()
    """
    t = self.thresholds
    findings = []
    checked = [s for s in trace.steps if s.checked_elems]
    stale = [s for s in checked if s.stale_elems >= t.STALE_ELEM_SHARE * s.checked_elems]
    if len(stale) >= t.STALE_MIN_STEPS and len(stale) >= t.STALE_SHARE * len(checked):
        share = len(stale) / len(checked)
        msg = (f"{len(stale)} of {len(checked)} sampled optimizer steps ({share:.0%}, threshold "
               f"{t.STALE_SHARE:.0%}) used gradients that still held the gradient of the previous step: "
               f"nothing cleared .grad in between (zero_grad() was called {trace.zero_grad_calls} times).")
        findings.append(self.finding(msg, first_site(stale), "Call `optimizer.zero_grad()` once per update, "
                                     "before `loss.backward()`.", confidence=0.9,
                                     stale_steps=len(stale), checked_steps=len(checked),
                                     zero_grad_calls=trace.zero_grad_calls))
    manual = trace.manual_checks
    manual_stale = [m for m in manual if m.params_stale > t.MANUAL_STALE_PARAM_SHARE * m.params_updated]
    if len(manual_stale) >= t.STALE_MIN_STEPS and len(manual_stale) >= t.STALE_SHARE * len(manual):
        site = first_site(trace.backwards)
        msg = (f"{len(manual_stale)} of {len(manual)} sampled manual parameter updates "
               f"used a .grad that was never reset, so every backward() added onto the gradient already applied.")
        findings.append(self.finding(msg, site, "After each manual update, reset the gradients: "
                                     "`w.grad = None` (or `w.grad.zero_()`) for every parameter.",
                                     confidence=0.85, stale_updates=len(manual_stale),
                                     manual_updates=len(manual)))
    return findings


@rule("OP002", "zero-grad-misplaced", Severity.ERROR, "The optimizer steps on cleared gradients",
      requires=(needs_backward, needs_steps("MIN_STEPS")),
      explains=("optimizer-step-missing", "vanishing-gradients") + NO_UPDATE,
      thresholds={"EMPTY_MIN_STEPS": EMPTY_MIN_STEPS, "EMPTY_SHARE": EMPTY_SHARE, "MIN_STEPS": MIN_STEPS})
def zero_grad_misplaced(self, trace: Trace):
    """
    What it detects:
        `optimizer.step()` runs while the gradients of its parameters are None or zero,
        although `backward()` ran since the previous step and reached those parameters, and
        the call order shows them cleared: a `zero_grad()` between `backward()` and `step()`,
        or `step()` called before `backward()`. Gradients that the backward pass itself made
        exactly zero (a ReLU on the output layer that is dead for every sample) were not
        cleared and are not this.

        Deliberately not flagged: sparse gradients (`nn.Embedding(sparse=True)` with
        `SparseAdam`), which hold only the rows looked up and are measured by those rows;
        optimizers that compute their own gradients inside `step()` (L-BFGS closures), since
        only backward passes outside `step()` count.

    Why it stops learning:
        Each step applies an empty gradient (or, with momentum, only stale momentum), so the
        parameters do not follow the loss at all.

    Example:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        opt.step()          # no gradient yet
        loss.backward()

    Fix:
        Keep the order zero_grad -> backward -> step:
        opt.zero_grad()
        loss.backward()
        opt.step()
    """
    reached_ticks = {b.tick for b in trace.backwards if b.reached_elems > 0}
    # steps of an optimizer whose parameters ran in the forward pass: an optimizer left holding an
    # older model's parameters (params-not-optimized) has nothing to clear
    candidates = [s for s in trace.steps if s.backwards_since_step >= 1 and s.elems - s.frozen_elems > 0
                  and s.used_elems != 0]
    empty = [s for s in candidates if s.no_grad_elems >= s.elems - s.frozen_elems
             and (s.tick in reached_ticks or s.tick - 1 in reached_ticks) and cleared_before(trace, s)]
    t = self.thresholds
    if len(empty) < t.EMPTY_MIN_STEPS or len(empty) < t.EMPTY_SHARE * len(candidates):
        return []
    step = empty[0]
    # the backward pass of this iteration may be counted with the next step when it follows step()
    events = [e for e in trace.events if step.tick - 1 <= e.tick <= step.tick + 1 and not e.in_step]
    backward = next((e for e in events if e.kind == "backward" and e.site and step.site
                     and e.site.line > step.site.line), None) or next(
        (e for e in events if e.kind == "backward"), None)
    zero = next((e for e in events if e.kind == "zero_grad"), None)
    order = ""
    if (backward and backward.site and step.site and backward.site.file == step.site.file
            and backward.site.function == step.site.function and backward.site.line > step.site.line):
        order = (f" `step()` (line {step.site.line}) comes before `backward()` (line {backward.site.line}), "
                 f"so it runs on gradients that `zero_grad()` already cleared.")
    elif zero and zero.site:
        order = f" `zero_grad()` at line {zero.site.line} clears them between `backward()` and `step()`."
    msg = (f"{len(empty)} of {len(candidates)} sampled optimizer steps ({len(empty) / len(candidates):.0%}, "
           f"threshold {t.EMPTY_SHARE:.0%}) found no gradient on any trainable parameter, although backward() "
           f"had run and reached them.{order}")
    return [self.finding(msg, step.site, "Order each iteration as `opt.zero_grad()`, `loss.backward()`, "
                         "`opt.step()`.", confidence=0.9, empty_steps=len(empty), checked_steps=len(candidates))]


def cleared_before(trace: Trace, step) -> bool:
    """Whether the call order shows the gradients cleared after the last backward pass and
    before this step: scanning back from the step, a `zero_grad()` comes before any
    `backward()`. Gradients that backward() itself made exactly zero (a dead ReLU on the output
    layer) are empty without being cleared. True when the step's calls were not recorded."""
    calls = [e for e in trace.events if not e.in_step and step.tick - 1 <= e.tick <= step.tick]
    at = next((i for i in range(len(calls) - 1, -1, -1) if calls[i].kind == "step" and calls[i].tick == step.tick
               and calls[i].opt == step.opt), None)
    if at is None:
        return True
    for e in reversed(calls[:at]):
        if e.kind == "backward":
            return False
        if e.kind == "zero_grad":
            return True
    return True


@rule("OP003", "optimizer-step-missing", Severity.ERROR, "Gradients are computed but parameters never change",
      requires=(needs_backward,), explains=NO_UPDATE,
      thresholds={"MIN_BACKWARDS_NO_STEP": MIN_BACKWARDS_NO_STEP})
def optimizer_step_missing(self, trace: Trace):
    """
    What it detects:
        `backward()` runs again and again, but no optimizer ever calls `step()` and no
        parameter is updated by hand either.

    Why it stops learning:
        Gradients are computed and thrown away; the weights keep their initial values.

    Example:
        opt.zero_grad()
        loss.backward()
        # opt.step() forgotten

    Fix:
        Call `optimizer.step()` after `loss.backward()` in every iteration.
    """
    if trace.backward_calls < self.thresholds.MIN_BACKWARDS_NO_STEP or trace.step_calls or trace.manual_updates:
        return []
    if not any(b.reached_elems > 0 for b in trace.backwards):
        return []
    opt = stepping_optimizer(trace)
    if opt is not None:
        msg = (f"backward() ran {trace.backward_calls} times but the {opt.cls} optimizer never stepped: "
               f"the parameters keep their initial values.")
        site = opt.site
    else:
        msg = (f"backward() ran {trace.backward_calls} times, but no optimizer exists and no parameter "
               f"was changed by hand.")
        site = first_site(trace.backwards)
    return [self.finding(msg, site, "Call `optimizer.step()` after `loss.backward()` in every iteration.",
                         confidence=0.8, backward_calls=trace.backward_calls)]


RETAINED_MIN = 10  # earlier losses still holding their graphs at the end
RETAINED_SHARE = 0.8


@rule("OP004", "loss-graph-retained", Severity.WARNING, "Loss tensors keep their graphs alive across steps",
      requires=(needs_backward,), thresholds={"RETAINED_MIN": RETAINED_MIN, "RETAINED_SHARE": RETAINED_SHARE})
def loss_graph_retained(self, trace: Trace):
    """
    What it detects:
        Loss tensors of earlier steps that are still alive, with their autograd graphs, at
        the end of the run (`losses.append(loss)`), or an already backpropagated loss added
        to an accumulator that has a graph (`running_loss += loss`). The sum of two losses
        that were both backpropagated (`err = err_real + err_fake`, kept for the log) holds
        only the current step's graphs and stays silent.

    Why it stops learning:
        Every kept loss holds on to its graph: memory grows with each step until the run
        slows down or dies with an out-of-memory error, often hours in.

    Example:
        losses.append(loss)          # or: running_loss += loss

    Fix:
        Keep Python numbers for logging: `losses.append(loss.item())`,
        `running_loss += loss.item()` (or `loss.detach()`).
    """
    t = self.thresholds
    findings = []
    if trace.loss_accumulations:
        rec = trace.loss_accumulations[0]
        msg = ("A loss that was already backpropagated is added into a new tensor with a graph: the sum keeps "
               "every step's graph alive.")
        findings.append(self.finding(msg, rec.site, "Accumulate Python numbers: `running_loss += loss.item()`.",
                                     confidence=0.7, lines=len(trace.loss_accumulations)))
    elif (trace.retained_losses >= t.RETAINED_MIN
          and trace.retained_losses >= t.RETAINED_SHARE * trace.retained_checked):
        msg = (f"{trace.retained_losses} of {trace.retained_checked} sampled loss tensors from earlier steps were "
               f"still alive with their autograd graphs at the end (threshold {t.RETAINED_SHARE:.0%}): something "
               f"keeps them, e.g. a list used for logging.")
        findings.append(self.finding(msg, first_site(trace.backwards), "Store `loss.item()` (or `loss.detach()`) "
                                     "instead of the loss tensor.", confidence=0.7,
                                     retained=trace.retained_losses, checked=trace.retained_checked))
    return findings


NO_BACKWARD_MIN_STEPS = 3  # sampled optimizer steps that found no gradient, with no gradient pass run
NO_BACKWARD_SHARE = 0.8  # share of the sampled steps


@rule("OP005", "backward-missing", Severity.ERROR, "The optimizer steps, but backward() never runs",
      requires=(needs_steps("NO_BACKWARD_MIN_STEPS"),), explains=("loss-plateau", "prediction-collapse", "lr-too-low"),
      thresholds={"NO_BACKWARD_MIN_STEPS": NO_BACKWARD_MIN_STEPS, "NO_BACKWARD_SHARE": NO_BACKWARD_SHARE})
def backward_missing(self, trace: Trace):
    """
    What it detects:
        `optimizer.step()` runs again and again, but no gradient pass ever runs: no
        `backward()`, no `torch.autograd.grad` whose result is put into `.grad`, no
        `torch.func` gradient transform feeding `.grad`. At least {NO_BACKWARD_MIN_STEPS} sampled steps, and
        {NO_BACKWARD_SHARE:.0%} of them, find no gradient on any trainable parameter.
        Gradients that the script sets itself (`p.grad = g` from `autograd.grad`) are
        gradients: those steps stay silent; gradients from `autograd.grad` that are never
        put into `.grad` are none.

    Why it stops learning:
        `step()` has nothing to apply: without gradients plain SGD and Adam leave every
        parameter where it is (weight decay alone shrinks them), so the loss stays where it
        started while the loop looks complete.

    Example:
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        opt.step()                    # loss.backward() is missing

    Fix:
        Call `loss.backward()` between `zero_grad()` and `step()`:
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    """
    if trace.backward_calls or not trace.step_calls:
        return []
    t = self.thresholds
    candidates = [s for s in trace.steps if s.elems - s.frozen_elems > 0]
    empty = [s for s in candidates if s.no_grad_elems >= s.elems - s.frozen_elems]
    if len(empty) < t.NO_BACKWARD_MIN_STEPS or len(empty) < t.NO_BACKWARD_SHARE * len(candidates):
        return []
    losses = [c for c in trace.losses if c.site is not None]
    loss_site = losses[0].site if losses else None
    step = empty[0]
    grads = (f" `torch.autograd.grad` computed gradients {len(trace.grad_calls)} times on sampled steps, "
             f"but they never reached `.grad`." if trace.grad_calls else "")
    msg = (f"{trace.step_calls} optimizer steps ran but no backward pass ran at all (0 `backward()` calls): "
           f"{len(empty)} of {len(candidates)} sampled steps ({len(empty) / len(candidates):.0%}, threshold "
           f"{t.NO_BACKWARD_SHARE:.0%}) found no gradient on any trainable parameter.{grads}")
    return [self.finding(msg, loss_site or step.site, "Call `loss.backward()` after computing the loss and "
                         "before `optimizer.step()` in every iteration.", confidence=0.95,
                         shows_at=step.site, steps=trace.step_calls, empty_steps=len(empty),
                         checked_steps=len(candidates))]
