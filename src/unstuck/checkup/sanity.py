"""Two quick sanity measurements: the loss at initialisation against what it should be, and
the input-independent baseline (the same training with every input zeroed)."""
from __future__ import annotations

import math

import torch

from unstuck.checkup.problem import BINARY_LOSSES, CLASS_LOSSES, Deadline, Problem, generator, train
from unstuck.checkup.results import LossAtInit

INPUT_INDEPENDENT_STEPS = 200


def expected_initial_loss(problem: Problem, target: torch.Tensor) -> tuple[float | None, str]:
    """What the loss should be for a freshly initialised network, and why."""
    name = problem.loss_name
    y = problem.flat_target(target)
    if name in CLASS_LOSSES:
        c = problem.n_classes()
        if c and c > 1:
            return math.log(c), f"ln({c}) for {c}-class {name}: uniform predictions at initialisation"
    if name in BINARY_LOSSES:
        return math.log(2), "ln(2) for binary cross-entropy: probability 0.5 at initialisation"
    if name == "mse_loss" and y.is_floating_point():
        return float((y.double() ** 2).mean()), "mean of target^2 for MSE: predictions near 0 at initialisation"
    if name == "l1_loss" and y.is_floating_point():
        return float(y.double().abs().mean()), "mean |target| for L1: predictions near 0 at initialisation"
    return None, f"no expectation for {name}"


def loss_at_init(problem: Problem) -> LossAtInit:
    size = min(problem.batch_size, problem.n)
    inputs, target = problem.subset(slice(0, size))
    value = problem.eval_loss(problem.fresh(), inputs, target)
    expected, what = expected_initial_loss(problem, target)
    return LossAtInit(value=value, expected=expected, what=what)


def input_independent(problem: Problem, split, deadline: Deadline | None = None,
                      steps: int = INPUT_INDEPENDENT_STEPS) -> dict[str, float]:
    """Held-out loss after the same training with real inputs and with zeroed inputs."""
    tr, te = (torch.as_tensor(s) for s in split)
    (xi, yi), (xo, yo) = problem.subset(tr), problem.subset(te)
    out = {}
    for key, zero in (("loss_real", False), ("loss_zeroed", True)):
        def z(xs):
            return tuple(torch.zeros_like(x) if zero and x.is_floating_point() else x for x in xs)
        model = problem.fresh()
        train(problem, model, problem.optimizer.build(model), z(xi), yi, steps, generator(21), deadline)
        out[key] = problem.eval_loss(model, z(xo), yo)
    return out
