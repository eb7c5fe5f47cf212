"""Assertions for a test suite: does this model learn, and is this training free of findings?

    from unstuck.testing import assert_learns, assert_no_findings

    def test_the_model_can_fit_a_few_samples():
        assert_learns(model, (x, y), nn.MSELoss())       # fails with unstuck's report on why not

    def test_the_training_loop():
        with unstuck.watch() as session:
            train(model, loader)
        assert_no_findings(session)                      # no warning or error

`assert_learns` is the first sanity check of a careful practitioner: a model and loss that
work memorise a handful of samples in a hundred steps. It trains a copy, so the model, its
optimizer and the global RNGs are left as they were. When the loss does not fall, the
training has been watched, and the message says why (a loss that broadcasts its operands, a
model that ignores its input, gradients that never reach a layer, ...).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable

__all__ = ["assert_learns", "assert_no_findings"]

_LEVELS = ("error", "warning", "info")


def assert_learns(model, batch, loss_fn: Callable, *, steps: int = 100, optimizer: Callable | None = None,
                  factor: float = 10.0, samples: int = 8, fail_on: str = "error", seed: int = 0) -> tuple[float, float]:
    """Assert that `model` memorises `samples` samples of `batch`: trained `steps` steps on
    them, its loss falls at least `factor` times. Returns (start loss, end loss).

    batch: `(x, y)`; x a tensor, a tuple of tensors (`model(*x)`) or a dict (`model(**x)`);
        the first `samples` rows of each are used.
    loss_fn: `loss_fn(model(x), y)` -> a scalar tensor.
    optimizer: a factory, `optimizer(parameters)` -> a torch optimizer (e.g.
        `functools.partial(torch.optim.SGD, lr=0.1)`); default Adam with lr 1e-2.
    fail_on: also fail when the watched training has findings at this level
        ("error", "warning", or "never"): a loss can fall for the wrong reason.
    seed: seeds torch's RNG for the copy's training (dropout), inside a fork of the global RNG.

    The losses are measured in eval mode before and after training in train mode. The model,
    its gradients and the global RNG state are not changed. On failure the AssertionError
    gives both losses and unstuck's report on the training.
    """
    __tracebackhide__ = True  # pytest shows the failure at the caller's line
    import torch

    import unstuck
    if fail_on not in ("error", "warning", "never"):
        raise ValueError(f"fail_on must be error, warning or never, not {fail_on!r}")
    x, y = batch
    x, y = _head(x, samples), _head(y, samples)
    devices = sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        trained = copy.deepcopy(model)
        trained.zero_grad(set_to_none=True)
        start = _loss(trained, x, y, loss_fn)
        opt = (optimizer or _default_optimizer)(trained.parameters())
        trained.train()
        with unstuck.watch(label="assert_learns") as session:
            for _ in range(steps):
                loss = loss_fn(_forward(trained, x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        end = _loss(trained, x, y, loss_fn)
    report = session.report()
    learned = math.isfinite(end) and end <= start / factor
    failing = _at_or_above(report, fail_on)
    if learned and not failing:
        return start, end
    if learned:
        verdict = (f"the loss fell from {start:.4g} to {end:.4g}, but unstuck found {fail_on}-level "
                   f"findings in the training ({', '.join(sorted({f.cause for f in failing}))})")
    else:
        verdict = (f"the model did not learn: in {steps} steps on {_rows(x)} sample(s) the loss went from "
                   f"{start:.4g} to {end:.4g} (x{end / start if start else math.nan:.3g}); a model that learns "
                   f"falls below {start / factor:.4g} (factor={factor:g})")
    why = str(report).strip("\n") if report.findings else (
        "unstuck found nothing wrong with how it was trained: try more steps, another learning rate, "
        "or a model with more capacity.")
    raise AssertionError(f"{verdict}\n\n{why}")


def assert_no_findings(session_or_report, level: str = "warning") -> None:
    """Assert that a watched training (an `unstuck.watch()` session or its Report) has no
    finding at `level` ("error", "warning" or "info") or above; the AssertionError carries
    the terminal report."""
    __tracebackhide__ = True
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {', '.join(_LEVELS)}, not {level!r}")
    report = session_or_report.report() if hasattr(session_or_report, "report") else session_or_report
    found = _at_or_above(report, level)
    if found:
        causes = ", ".join(f"{f.cause} ({f.severity.value})" for f in found)
        raise AssertionError(f"unstuck found {len(found)} finding(s) at {level} level or above: {causes}\n\n"
                             + str(report).strip("\n"))


def _at_or_above(report, level: str) -> list:
    """The report's findings at `level` ("error", "warning", "info") or above; none for "never"."""
    counted = _LEVELS[:_LEVELS.index(level) + 1] if level in _LEVELS else ()
    return [f for f in report.findings if f.severity.value in counted]


def _default_optimizer(parameters):
    import torch
    return torch.optim.Adam(parameters, lr=1e-2)


def _head(data, n: int):
    """The first `n` rows of a tensor, or of each tensor in a tuple, list or dict."""
    if isinstance(data, dict):
        return {k: _head(v, n) for k, v in data.items()}
    if isinstance(data, (tuple, list)):
        return type(data)(_head(v, n) for v in data)
    return data[:n] if hasattr(data, "shape") and len(data.shape) else data


def _rows(x) -> int:
    """How many samples `x` holds."""
    if isinstance(x, dict):
        x = next(iter(x.values()))
    elif isinstance(x, (tuple, list)):
        x = x[0]
    return int(x.shape[0])


def _forward(model, x):
    if isinstance(x, dict):
        return model(**x)
    if isinstance(x, (tuple, list)):
        return model(*x)
    return model(x)


def _loss(model, x, y, loss_fn) -> float:
    """The loss in eval mode, without gradients."""
    import torch
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return float(loss_fn(_forward(model, x), y))
    finally:
        model.train(was_training)
