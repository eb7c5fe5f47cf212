"""Proof by experiment: replay a short training with the fix applied, beside the same
training as written, and say whether the fix clearly helps.

Both replays start from copies of the captured model (its weights when training began), use
the captured samples and the user's optimizer settings, run the same seeded number of steps,
and are judged on a held-back part of the captured samples (HOLD_OUT) that neither trained
on. The score is the checkup's own (R^2 for regression, accuracy for classification), which
stays comparable when the fix rescales the inputs or the targets; where no score exists,
the held-back loss decides.

A finding is `confirmed` only when the fixed replay is better by the documented margin: a score
higher by SCORE_MARGIN, or closing GAP_SHARE of the gap to a perfect score by at least MIN_GAIN;
or, for fixes that keep the loss in the same units (LOSS_COMPARABLE), a held-back loss at most
LOSS_RATIO of the written one with a score no worse than MIN_GAIN below it. `not-confirmed` otherwise
(the diagnosis may be wrong, or the fix alone is not enough in so short a replay); `not-tried`
with the reason when the cause has no mechanical fix here, or nothing was captured.

Fixes that change only what lies between the model's output and the loss (OUTPUT_FIXES: a
softmax or sigmoid removed, made a log_softmax or moved to the class axis; the prediction
reshaped to the target's) change the loss's units, so the two replays' own held-back losses are
not comparable. Yet the fixed loss is the one the script means to minimise (the log-likelihood
that `cross_entropy`, `nll_loss` or a logits loss computes, an elementwise error), and it is a
function of the model's output alone: the written replay's trained model is measured with it
too (`as_written.loss_as_fixed`), and that pair decides as LOSS_COMPARABLE's losses do. This is
what these bugs damage first: a double softmax or an NLL on probabilities leaves the class
ranking (accuracy) nearly right while the probabilities stay wrong, and an accuracy that is at
its ceiling (1, or the labels' own noise) for both replays can show no gap at all.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from unstuck.checkup import chain
from unstuck.checkup.problem import (CANONICAL, CLASS_LOSSES, CLASSIFICATION, Deadline, Loop, Problem, generator,
                                     isolated, train)

HOLD_OUT = 0.25  # share of the captured samples held back to judge both replays
MIN_HELD = 16  # fewer held-back samples than this: not tried
STEPS = 200  # optimizer steps per replay (fewer when the time budget runs out)
MIN_STEPS = 40  # fewer steps than this in either replay: not judged
SECONDS = 4.0  # time budget per cause: half for the written replay, the fixed one at most as much again
SCORE_MARGIN = 0.1  # the fixed replay's held-back score is higher by at least this (R^2 or accuracy),
GAP_SHARE = 0.5  # or it closes at least this share of the gap to a perfect score (1.0),
MIN_GAIN = 0.03  # by at least this much (replays differ by noise of about 0.01)
CURVE_POINTS = 50  # training-loss points kept per replay for the report's plot
LOSS_RATIO = 0.8  # without a score: the fixed replay's held-back loss is at most this share of the written one


@dataclass
class Replay:
    """One way to train: the problem (data, loss, mode), how the copied model is prepared, how
    its optimizer is built (default: the user's, with `lr` when given), the calls each step
    makes (`loop`) and the learning-rate schedule (`lr_factor(step, steps)` scales the start's
    learning rate at `step` of a replay planned for `steps`)."""

    problem: Problem
    prepare: Callable[[nn.Module], nn.Module] = lambda m: m
    optimizer: Callable[[nn.Module], torch.optim.Optimizer] | None = None
    lr: float | None = None
    loop: Loop = CANONICAL
    lr_factor: Callable[[int, int], float] | None = None

    def model(self) -> nn.Module:
        return self.prepare(self.problem.fresh())

    def build_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        if self.optimizer is not None:
            return self.optimizer(model)
        return self.problem.optimizer.build(model, self.lr)


# ---------------------------------------------------------------- the fixes
def _align_shapes(p: Problem, results, train_part) -> tuple[Replay, str] | str:
    call = p.loss_call

    def aligned(pred, y):
        return call(pred.reshape(y.shape) if pred.numel() == y.numel() else pred, y)

    return Replay(dataclasses.replace(p, loss_call=aligned)), "the prediction reshaped to the target's shape in the loss"


def _softmax_fix(kind: str):
    """The model's softmax (or sigmoid) whose output has the prediction's shape is replaced at
    run time: by nothing (double-softmax, double-sigmoid), by log_softmax
    (nll-without-log-softmax), or by a softmax over the class axis (softmax-wrong-dim)."""
    what = {"identity": "the model's softmax removed (the loss gets logits)",
            "log": "the model's softmax replaced by log_softmax",
            "dim": "the model's softmax taken over the class axis (dim=1)",
            "sigmoid": "the model's sigmoid removed (the loss gets logits)"}[kind]

    def fix(p: Problem, results, train_part) -> tuple[Replay, str] | str:
        if p.head:  # the normaliser (or sigmoid) between the model's output and the loss, recorded
            head = _head_fix(p, kind)
            if isinstance(head, tuple):
                return Replay(dataclasses.replace(p, head=head)), (
                    f"the ops before the loss replayed as {chain.describe(head)} (were {chain.describe(p.head)})")
            if isinstance(head, str):
                return head
        return Replay(p, prepare=lambda m: _Rewired(m, kind, p.pred_tail)), what

    return fix


def _head_fix(p: Problem, kind: str):
    """The recorded head with its normaliser or sigmoid edited for `kind` (a tuple of steps), the
    reason why it cannot be (a string), or None when the head has no such op (the model's own
    output is then rewired)."""
    if kind == "sigmoid":
        idx = [i for i, s in enumerate(p.head) if s.kind == "unary" and s.name == "sigmoid"]
        return p.head[:idx[-1]] + p.head[idx[-1] + 1:] if idx else None
    if kind == "dim" and p.task != CLASSIFICATION and any(s.kind == "norm" for s in p.head):
        return f"the class axis is known for {' and '.join(sorted(CLASS_LOSSES))} only (the loss is {p.loss_name})"
    return chain.class_axis_fix(p.head, (0, *p.pred_tail), kind)


class _SoftmaxSwap(TorchFunctionMode):
    SOFTMAX = {torch.softmax, torch.nn.functional.softmax, torch.Tensor.softmax}
    SIGMOID = {torch.sigmoid, torch.nn.functional.sigmoid, torch.Tensor.sigmoid}

    def __init__(self, kind: str, tail: tuple[int, ...]):
        super().__init__()
        self.kind, self.tail, self.swapped = kind, tail, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        wanted = self.SIGMOID if self.kind == "sigmoid" else self.SOFTMAX
        if func in wanted and isinstance(out, torch.Tensor) and tuple(out.shape[1:]) == self.tail:
            x = args[0]
            self.swapped += 1
            if self.kind in ("identity", "sigmoid"):
                return x
            if self.kind == "log":
                return torch.log_softmax(x, dim=1)
            return torch.softmax(x, dim=1)
        return out


class _Rewired(nn.Module):
    """The user's model with its output softmax swapped (see _softmax_fix). Its parameters are
    the model's own, in the same order, so the user's optimizer groups still apply."""

    def __init__(self, inner: nn.Module, kind: str, tail):
        super().__init__()
        self.inner, self.kind, self.tail = inner, kind, tuple(tail)

    def forward(self, *args):
        with _SoftmaxSwap(self.kind, self.tail):
            return self.inner(*args)


def _train_mode(p: Problem, results, train_part) -> tuple[Replay, str] | str:
    if p.train_mode:
        return "the captured training already ran in train mode"
    return Replay(dataclasses.replace(p, train_mode=True)), "the model put in train mode (model.train()) for training"


def _all_trainable(p: Problem, results, train_part) -> tuple[Replay, str] | str:
    params = list(p.model.parameters())
    held = {i for idx, _ in p.optimizer.groups for i in idx}
    outside = _unregistered(p.model)
    if not outside and len(held) == len(params) and all(q.requires_grad for q in params):
        return "every parameter the model holds is trainable and in the optimizer already"
    hyper = {k: v for k, v in (p.optimizer.groups[0][1] if p.optimizer.groups else {}).items()}

    def prepare(m: nn.Module) -> nn.Module:
        for q in [*m.parameters(), *_unregistered(m)]:
            q.requires_grad_(True)
        return m

    def optimizer(m: nn.Module) -> torch.optim.Optimizer:
        return p.optimizer.cls([{**copy.deepcopy(hyper), "params": [*m.parameters(), *_unregistered(m)]}])

    where = " (including those kept in plain lists or dicts)" if outside else ""
    return Replay(p, prepare=prepare, optimizer=optimizer), f"every parameter trainable and in the optimizer{where}"


def _unregistered(model: nn.Module, depth: int = 8) -> list[torch.Tensor]:
    """Floating-point leaf tensors the model holds outside its registered parameters: in modules
    or tensors kept in plain lists, tuples or dicts, which `model.parameters()` does not see."""
    registered = {id(q) for q in model.parameters()}
    found: list[torch.Tensor] = []
    seen: set[int] = set()

    def visit(obj, left: int) -> None:
        if left < 0 or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, torch.Tensor):
            if (obj.is_leaf and obj.is_floating_point() and id(obj) not in registered
                    and (obj.requires_grad or isinstance(obj, nn.Parameter))):
                found.append(obj)
        elif isinstance(obj, nn.Module):
            for v in vars(obj).values():
                visit(v, left - 1)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for v in obj:
                visit(v, left - 1)
        elif isinstance(obj, dict):
            for v in obj.values():
                visit(v, left - 1)

    visit(model, depth)
    return found


def _suggested_lr(p: Problem, results, train_part) -> tuple[Replay, str] | str:
    if results is not None and results.lr_range is not None:
        lr = results.lr_range.suggestion
    else:  # `unstuck run --confirm`: the range test runs here, on the replays' training part
        from unstuck.checkup.lr_range import lr_range_test
        lr = isolated(lr_range_test, p, *train_part, Deadline(SECONDS)).suggestion
    if lr is None:
        return "the learning-rate range test suggested no learning rate"
    return Replay(p, lr=lr), f"the learning rate set to {lr:.2g} (the range test's suggestion)"


def _standardised(p: Problem, results, train_part, *, inputs: bool) -> tuple[Replay, str] | str:
    if inputs:
        xs = []
        for x in p.inputs:
            if not x.is_floating_point() or x.dim() < 2:
                xs.append(x)
                continue
            dims = [0] + list(range(2, x.dim()))
            mean, std = x.mean(dims, keepdim=True), x.std(dims, keepdim=True)
            xs.append((x - mean) / std.clamp_min(1e-8))
        return Replay(dataclasses.replace(p, inputs=tuple(xs))), "inputs standardised per feature"
    if p.task != "regression" or not p.target.is_floating_point():
        return "targets are standardised for regression only"
    y = p.target
    return (Replay(dataclasses.replace(p, target=(y - y.mean(0)) / y.std(0).clamp_min(1e-8))),
            "targets standardised (R^2 is the same on either scale)")


def _loop_fix(written: Loop, what: str):
    """A defect of the training loop itself: the replay as written makes the calls the way the
    diagnosis says the script made them; the fixed one makes the canonical step. This measures
    what the fix gains on this model and data; the rule's own evidence shows the defect."""

    def fix(p: Problem, results, train_part):
        if p.optimizer.cls is torch.optim.LBFGS:
            return "an L-BFGS closure makes its own calls: its loop is not replayed"
        return Replay(p), what, Replay(p, loop=written)

    return fix


def _schedule_fix(p: Problem, results, train_part):
    """The learning rate as the script's scheduler set it, step by step, compressed onto the
    replay's steps (the written replay), against the starting learning rate held constant.
    Both start from the optimizer's own learning rate (before any warmup), the replay's base."""
    lrs = [v for v in p.lr_schedule if math.isfinite(v)]
    base = p.optimizer.lr
    if len(lrs) < 2 or base is None or not base > 0:
        return "the learning rate of the script's steps was not recorded"

    def factor(step: int, planned: int) -> float:
        return lrs[min(len(lrs) - 1, step * len(lrs) // max(1, planned))] / base

    return (Replay(p), f"the learning rate held at its starting value {base:.2g} (no decay to zero)",
            Replay(p, lr_factor=factor))


FIXES: dict[str, Callable] = {
    "loss-broadcast": _align_shapes,
    "double-softmax": _softmax_fix("identity"),
    "nll-without-log-softmax": _softmax_fix("log"),
    "softmax-wrong-dim": _softmax_fix("dim"),
    "double-sigmoid": _softmax_fix("sigmoid"),
    "eval-mode-training": _train_mode,
    "frozen-params": _all_trainable,
    "params-not-optimized": _all_trainable,
    "lr-too-high": _suggested_lr,
    "lr-too-low": _suggested_lr,
    "unscaled-inputs": lambda p, r, t: _standardised(p, r, t, inputs=True),
    "unscaled-targets": lambda p, r, t: _standardised(p, r, t, inputs=False),
    "missing-zero-grad": _loop_fix(Loop(zero_grad="never"),
                                   "gradients cleared every step (optimizer.zero_grad() before backward)"),
    "zero-grad-misplaced": _loop_fix(Loop(zero_grad="before-step"), "zero_grad(), backward(), step(), in this order"),
    "backward-missing": _loop_fix(Loop(backward=False), "loss.backward() before every optimizer.step()"),
    "optimizer-step-missing": _loop_fix(Loop(step=False), "optimizer.step() after every loss.backward()"),
    "lr-schedule-collapse": _schedule_fix,
}


# Fixes that leave the model's output and the loss function as they are, so that the held-back
# loss of both replays is in the same units: it decides where the score does not (an accuracy
# that saturates while the loss is far apart).
LOSS_COMPARABLE = frozenset({"eval-mode-training", "frozen-params", "params-not-optimized", "lr-too-high",
                             "lr-too-low", "unscaled-inputs", "missing-zero-grad", "zero-grad-misplaced",
                             "backward-missing", "optimizer-step-missing", "lr-schedule-collapse"})


# Fixes that change only the ops between the model's output and the loss (and so the loss's units):
# the written replay's model is also measured with the fixed replay's loss (see the module docstring).
OUTPUT_FIXES = frozenset({"loss-broadcast", "double-softmax", "nll-without-log-softmax", "softmax-wrong-dim",
                          "double-sigmoid"})


# ---------------------------------------------------------------- the replay
def _run(replay: Replay, train_idx, held_idx, steps: int, deadline: Deadline, measure: Replay | None = None) -> dict:
    """Train one replay and measure it on the held-back samples; with `measure` (the fixed
    replay), its trained model is also measured with that replay's loss (`loss_as_fixed`)."""
    p = replay.problem
    model = replay.model()
    opt = replay.build_optimizer(model)
    x_train, y_train = p.subset(train_idx)
    schedule = replay.lr_factor
    losses = train(p, model, opt, x_train, y_train, steps, generator(0), deadline, loop=replay.loop,
                   lr_factor=None if schedule is None else (lambda i: schedule(i, steps)))
    x_held, y_held = p.subset(held_idx)
    loss = p.eval_loss(model, x_held, y_held)
    score = p.score(model, x_held, y_held)
    out = {"loss": _num(loss), "score": _num(score), "steps": len(losses), "curve": _curve(losses)}
    if measure is not None:
        out["loss_as_fixed"] = _num(measure.problem.eval_loss(measure.prepare(model), x_held, y_held))
    return out


def _curve(losses: list[float]) -> list[list]:
    """The training loss as [step, loss] pairs, at most CURVE_POINTS of them (for the plot)."""
    every = max(1, math.ceil(len(losses) / CURVE_POINTS))
    return [[i + 1, _num(v)] for i, v in enumerate(losses) if i % every == 0 or i == len(losses) - 1]


def _num(v) -> float | None:
    return None if v is None or not math.isfinite(v) else float(f"{v:.4g}")


def confirm(cause: str, problem: Problem | None, results=None, *, seconds: float = SECONDS,
            steps: int = STEPS) -> dict:
    """The `confirmation` of one root cause (spec/report.md)."""
    if problem is None:
        return {"status": "not-tried", "reason": "nothing was captured to replay"}
    fix = FIXES.get(cause)
    if fix is None:
        return {"status": "not-tried", "reason": f"no mechanical fix of {cause} is replayed"}
    held = max(MIN_HELD, int(problem.n * HOLD_OUT))
    if problem.n - held < MIN_HELD:
        return {"status": "not-tried", "reason": f"too few captured samples ({problem.n}) to hold some back"}
    order = torch.randperm(problem.n, generator=generator(1))
    held_idx, train_idx = order[:held], order[held:]
    try:
        made = fix(problem, results, problem.subset(train_idx))
    except Exception as exc:  # noqa: BLE001 - a fix that cannot be prepared proves nothing either way
        return {"status": "not-tried", "reason": f"the fix could not be prepared: {type(exc).__name__}: {exc}"}
    if isinstance(made, str):
        return {"status": "not-tried", "reason": made}
    fixed, what, as_written = made if len(made) == 3 else (*made, Replay(problem))
    try:
        written = isolated(_run, as_written, train_idx, held_idx, steps, Deadline(seconds / 2),
                           fixed if cause in OUTPUT_FIXES else None)
        # the fixed replay takes as many steps as the written one managed: a fair comparison
        with_fix = isolated(_run, fixed, train_idx, held_idx, written["steps"], Deadline(seconds))
    except Exception as exc:  # noqa: BLE001 - a replay that cannot run proves nothing either way
        return {"status": "not-tried", "reason": f"the replay failed: {type(exc).__name__}: {exc}"}
    if min(written["steps"], with_fix["steps"]) < MIN_STEPS:
        return {"status": "not-tried", "reason": f"the time budget allowed only {min(written['steps'], with_fix['steps'])} "
                f"replay steps (fewer than {MIN_STEPS})"}
    status, reason = _judge(written, with_fix, loss_comparable=cause in LOSS_COMPARABLE or cause in OUTPUT_FIXES)
    if status == "not-confirmed" and min(written["steps"], with_fix["steps"]) < steps:
        reason += f"; the time budget allowed {min(written['steps'], with_fix['steps'])} of {steps} steps"
    return {"status": status, "reason": reason, "fix_applied": what, "steps": min(written["steps"], with_fix["steps"]),
            "held_back": held, "as_written": written, "with_fix": with_fix}


def _judge(written: dict, fixed: dict, loss_comparable: bool) -> tuple[str, str]:
    a, b = written["score"], fixed["score"]
    if b is not None and (a is None or b - a >= SCORE_MARGIN or b - a >= max(MIN_GAIN, GAP_SHARE * (1.0 - a))):
        return "confirmed", f"held-back score {_fmt(a)} as written, {_fmt(b)} with the fix"
    # an output fix: the written model measured with the fixed loss (the script's own loss is in other units)
    la, lb = written.get("loss_as_fixed", written["loss"]), fixed["loss"]
    no_worse = a is None or (b is not None and b >= a - MIN_GAIN)
    if loss_comparable and no_worse and lb is not None and (la is None or lb <= LOSS_RATIO * la):
        score = f" (score {_fmt(a)} and {_fmt(b)})" if b is not None else ""
        what = "held-back loss" if "loss_as_fixed" not in written else "held-back loss (the fixed loss, on both models)"
        return "confirmed", f"{what} {_fmt(la)} as written, {_fmt(lb)} with the fix{score}"
    if b is not None:
        losses = f"; the fixed loss {_fmt(la)} and {_fmt(lb)}" if "loss_as_fixed" in written else ""
        return "not-confirmed", (f"held-back score {_fmt(a)} as written, {_fmt(b)} with the fix{losses}: not clearly "
                                 f"better (the diagnosis may be wrong, or the replay too short)")
    return "not-confirmed", f"held-back loss {_fmt(la)} as written, {_fmt(lb)} with the fix: no clear gain"


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def confirm_report(report, problem: Problem | None, results=None, *, seconds: float = SECONDS) -> None:
    """Attach a confirmation to each root cause of `report` (in place)."""
    confirmed = []
    for f in report.findings:
        if f.kind.value != "cause" or f.caused_by or f.severity.value == "info":
            confirmed.append(f)
            continue
        confirmed.append(dataclasses.replace(f, confirmation=confirm(f.cause, problem, results, seconds=seconds)))
    report.findings = confirmed


__all__ = ["confirm", "confirm_report", "FIXES", "OUTPUT_FIXES"]
