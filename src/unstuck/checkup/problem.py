"""A training problem the experiments can replay: a model at its initial weights, samples,
the loss as the user computes it, and the user's optimizer. Plus the small training and
evaluation helpers every experiment shares.

A Problem owns private copies only: experiments train deep copies of `model`, never the
user's objects, and draw randomness from a private generator.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

REGRESSION = "regression"
CLASSIFICATION = "classification"
CLASS_LOSSES = frozenset({"cross_entropy", "nll_loss"})
BINARY_LOSSES = frozenset({"binary_cross_entropy", "binary_cross_entropy_with_logits"})


class Deadline:
    """The time left for the whole checkup; experiments stop early when it runs out, or, every
    deadline at once, when `Deadline.stop(reason)` was called (SIGTERM, see `stopping_on_sigterm`)."""

    stopped: str | None = None  # why every experiment stops now (class-wide)

    def __init__(self, seconds: float | None):
        self.start = time.monotonic()
        self.end = None if seconds is None else self.start + seconds

    @classmethod
    def stop(cls, reason: str | None) -> None:
        cls.stopped = reason

    def why(self) -> str:
        """Why an experiment was not run: the stop's reason, else the spent budget."""
        return f"stopped: {Deadline.stopped}" if Deadline.stopped else "time budget spent"

    def left(self) -> float:
        if Deadline.stopped:
            return 0.0
        return math.inf if self.end is None else self.end - time.monotonic()

    def over(self) -> bool:
        return self.left() <= 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start


@dataclass
class OptimizerSpec:
    """How to build the user's optimizer for a copy of the model."""

    cls: type
    groups: list[tuple[list[int], dict]]  # (indices into model.parameters(), hyperparameters)

    @property
    def name(self) -> str:
        return self.cls.__name__

    @property
    def lr(self) -> float | None:
        lr = self.groups[0][1].get("lr") if self.groups else None
        try:
            return float(lr)
        except (TypeError, ValueError):
            return None

    def build(self, model: nn.Module, lr: float | None = None) -> torch.optim.Optimizer:
        params = list(model.parameters())
        groups = []
        for idx, hyper in self.groups:
            g = copy.deepcopy(hyper)
            if lr is not None and "lr" in g:
                g["lr"] = lr
            g["params"] = [params[i] for i in idx]
            groups.append(g)
        return self.cls(groups)


@dataclass
class Problem:
    """What the experiments train on. `inputs` and `target` hold one row per sample;
    `rows_per_sample` target rows belong to each input sample (sequence losses)."""

    model: nn.Module
    inputs: tuple[torch.Tensor, ...]
    target: torch.Tensor
    loss_name: str  # the loss function's name (mse_loss, cross_entropy, ...)
    loss_call: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (prediction, target) -> loss
    pred_tail: tuple[int, ...]  # the prediction's shape after its first axis, as the loss saw it
    optimizer: OptimizerSpec
    batch_size: int
    train_mode: bool = True
    rows_per_sample: int = 1
    source: str = "script"
    lr_schedule: tuple[float, ...] = ()  # the first group's learning rate at each of the script's steps
    # the recorded ops from the model's output to the loss's prediction (checkup.chain steps:
    # a log_softmax, a sigmoid, ... outside the model); empty: the output, reshaped
    head: tuple = ()

    # ------------------------------------------------------------ shape
    @property
    def n(self) -> int:
        return int(self.target.shape[0])

    @property
    def task(self) -> str:
        return CLASSIFICATION if self.loss_name in CLASS_LOSSES | BINARY_LOSSES else REGRESSION

    def n_classes(self) -> int | None:
        if self.loss_name in BINARY_LOSSES:
            return 2
        if self.loss_name in CLASS_LOSSES:
            return int(self.pred_tail[0]) if self.pred_tail else None
        return None

    # ------------------------------------------------------------ replay
    def fresh(self) -> nn.Module:
        m = copy.deepcopy(self.model)
        m.train(self.train_mode)
        for p in m.parameters():
            p.grad = None
        return m

    def subset(self, idx) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
        return tuple(x[idx] for x in self.inputs), self.target[idx]

    def prediction(self, output: torch.Tensor, n: int, scoring: bool = False) -> torch.Tensor:
        """The model output shaped as the loss saw it (through the recorded `head`, if any). For
        `scoring` a class loss's normaliser is left out: the class scores are the model's own
        output (a softmax over the class axis keeps their order; over another axis it mixes
        samples, and the model's output, not that mixture, is what it predicts)."""
        head = self.head
        if head and scoring and self.loss_name in CLASS_LOSSES:
            head = tuple(s for s in head if s.kind != "norm")
        if head:
            from unstuck.checkup.chain import run
            return run(head, output).reshape(n * self.rows_per_sample, *self.pred_tail)
        return output.reshape(n * self.rows_per_sample, *self.pred_tail)

    def flat_target(self, target: torch.Tensor) -> torch.Tensor:
        return target.reshape(target.shape[0] * self.rows_per_sample, *target.shape[2:]) \
            if self.rows_per_sample > 1 else target

    def loss(self, model: nn.Module, inputs, target) -> torch.Tensor:
        out = model(*inputs)
        value = self.loss_call(self.prediction(out, target.shape[0]), self.flat_target(target))
        return value.mean() if value.dim() else value

    def measure_mode(self, model: nn.Module) -> None:
        """Evaluate without dropout noise, in eval mode unless batch-norm needs batch statistics
        (the model trained in train mode: then batch-norm stays in train mode, dropout does not)."""
        has_bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
        model.train(self.train_mode if has_bn else False)
        if model.training:
            for m in model.modules():
                if isinstance(m, nn.modules.dropout._DropoutNd):
                    m.eval()

    def eval_loss(self, model: nn.Module, inputs, target) -> float:
        mode = model.training
        self.measure_mode(model)
        try:
            with torch.no_grad():
                return float(self.loss(model, inputs, target))
        finally:
            model.train(mode)

    def predict(self, model: nn.Module, inputs, n: int) -> torch.Tensor:
        mode = model.training
        self.measure_mode(model)
        try:
            with torch.no_grad():
                return self.prediction(model(*inputs), n, scoring=True)
        finally:
            model.train(mode)

    def score(self, model: nn.Module, inputs, target) -> float | None:
        """Higher is better: R^2 for regression, accuracy for classification."""
        pred = self.predict(model, inputs, target.shape[0]).float()
        y = self.flat_target(target)
        return score_predictions(self.loss_name, pred, y)


def score_predictions(loss_name: str, pred: torch.Tensor, y: torch.Tensor) -> float | None:
    if not torch.isfinite(pred).all():
        return None
    if loss_name in CLASS_LOSSES:
        if y.is_floating_point():  # class probabilities as targets
            y = y.argmax(1)
        guess = pred.argmax(1)
        keep = y >= 0
        return float((guess[keep] == y[keep]).float().mean()) if keep.any() else None
    if loss_name in BINARY_LOSSES:
        threshold = 0.0 if loss_name.endswith("logits") else 0.5
        guess = pred.reshape(-1) > threshold
        return float((guess == (y.reshape(-1) > 0.5)).float().mean())
    if pred.numel() != y.numel():
        return None
    return r2(y.reshape(y.shape[0], -1).double().numpy(), pred.reshape(y.shape[0], -1).double().numpy())


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    """R^2 averaged over outputs (scikit-learn's `r2_score` default), 0 for constant targets."""
    from sklearn.metrics import r2_score
    if y.shape[0] < 2:
        return 0.0
    return float(r2_score(y, pred))


def generator(seed: int = 0) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed)
    return g


@dataclass(frozen=True)
class Loop:
    """The calls of one training step. The default is the canonical loop (zero_grad, forward,
    backward, step); the other values replay a loop as a diagnosis says it was written:
    gradients never cleared, cleared between backward and step, no backward, no step."""

    zero_grad: str = "before-forward"  # or "never", "before-step"
    backward: bool = True
    step: bool = True


CANONICAL = Loop()


def train(problem: Problem, model: nn.Module, opt: torch.optim.Optimizer, inputs, target, steps: int,
          gen: torch.Generator, deadline: Deadline | None = None, batch_size: int | None = None,
          record_every: int = 1, lr_at: Callable[[int], float] | None = None,
          stop_above: float | None = None, lr_factor: Callable[[int], float] | None = None,
          loop: Loop = CANONICAL) -> list[float]:
    """Minibatch training of `model`; returns the training loss every `record_every` steps.
    `lr_at(step)` sets the learning rate of every group, `lr_factor(step)` scales each group's
    starting learning rate (a schedule); `stop_above` stops once a loss is non-finite or
    exceeds it (the LR range test); `loop` says which calls a step makes."""
    n = target.shape[0]
    bs = max(1, min(batch_size or problem.batch_size, n))
    losses: list[float] = []
    order = torch.randperm(n, generator=gen)
    pos = 0
    lbfgs = isinstance(opt, torch.optim.LBFGS)
    base_lrs = [g.get("lr") for g in opt.param_groups]
    for step in range(steps):
        if deadline is not None and step % 5 == 0 and deadline.over():
            break
        if bs >= n:
            idx = None
        else:
            if pos + bs > n:
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos:pos + bs]
            pos += bs
        xb, yb = (inputs, target) if idx is None else (tuple(x[idx] for x in inputs), target[idx])
        if lr_at is not None:
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
        if lr_factor is not None:
            for g, base in zip(opt.param_groups, base_lrs):
                g["lr"] = base * lr_factor(step)

        def closure():
            if loop.zero_grad == "before-forward":
                opt.zero_grad()
            value = problem.loss(model, xb, yb)
            if loop.backward:
                value.backward()
            return value

        if lbfgs and loop == CANONICAL:
            value = opt.step(closure)
        else:
            value = closure()
            if loop.zero_grad == "before-step":
                opt.zero_grad()
            if loop.step:
                opt.step()
        v = float(value.detach()) if isinstance(value, torch.Tensor) else float("nan")
        if step % record_every == 0:
            losses.append(v)
        if stop_above is not None and (not math.isfinite(v) or v > stop_above):
            if step % record_every:
                losses.append(v)
            break
    return losses


def isolated(fn, *args, **kwargs):
    """Run experiments with the global RNGs forked: whatever they draw (torch's streams, and
    Python's and NumPy's, which importing scikit-learn alone advances), the user's streams are
    as they were afterwards."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() and torch.cuda.is_initialized() \
        else []
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=devices):
            return fn(*args, **kwargs)
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


FIT_FLOOR = 0.1  # regression: a rung's spread counts as at least this share of the data's variance per sample


def fit_share(problem: Problem, model: nn.Module, inputs, target) -> float | None:
    """How well `model` fits these very samples: accuracy for classification; for regression
    the share of the targets' spread around their mean (around zero for one sample) that
    the predictions explain. The spread counts as at least FIT_FLOOR of the whole data's
    variance per sample, so that a rung of (nearly) equal targets is judged on the data's scale."""
    if problem.task == CLASSIFICATION:
        return problem.score(model, inputs, target)
    pred = problem.predict(model, inputs, target.shape[0]).double()
    y = problem.flat_target(target).double()
    if pred.numel() != y.numel() or not torch.isfinite(pred).all():
        return None
    pred = pred.reshape(y.shape)
    sse = float(((pred - y) ** 2).sum())
    centre = y.mean(0, keepdim=True) if y.shape[0] > 1 else torch.zeros_like(y)
    sst = float(((y - centre) ** 2).sum())
    everything = problem.flat_target(problem.target).double()
    variance = float(everything.var(0).mean()) if everything.shape[0] > 1 else 0.0
    sst = max(sst, FIT_FLOOR * variance * y.shape[0], 1e-12)
    return 1.0 - sse / sst


@contextlib.contextmanager
def stopping_on_sigterm():
    """While the experiments run, SIGTERM (what schedulers send) stops every deadline, so the
    running experiment ends at its next check and the rest are skipped; the caller then reports
    what was measured and dies of the signal (`terminated()` tells it to). Only in the main
    thread, and only where SIGTERM still has its default action."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: Deadline.stop("terminated (SIGTERM)"))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def terminated() -> bool:
    return Deadline.stopped is not None


def die_of_sigterm() -> None:
    """End the process as SIGTERM's default action would (status 143 in a shell)."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
