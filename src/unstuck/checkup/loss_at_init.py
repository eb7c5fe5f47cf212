"""Loss at initialisation: the loss of a freshly initialised copy on one batch, against what it
should be for the loss function and the targets."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from unstuck.checkup.problem import BINARY_LOSSES, CLASS_LOSSES, Problem
from unstuck.checkup.units import Experiment, fmt, num


@dataclass
class LossAtInit:
    value: float
    expected: float | None
    what: str

    def to_json(self) -> dict:
        return {"value": num(self.value), "expected": num(self.expected), "what": self.what}


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


class LossAtInitUnit(Experiment):
    key = "loss_at_init"
    gated = False  # one forward pass: always measured

    def run(self, ctx, deadline):
        return loss_at_init(ctx.problem)

    def terminal(self, ck):
        from rich.text import Text
        init = ck.get(self.key)
        if not init:
            return []
        return [Text(f"Loss at initialisation: {fmt(init.get('value'))} (expected about {fmt(init.get('expected'))}: "
                     f"{init.get('what', '')})")]

    def html_rows(self, ck):
        init = ck.get(self.key)
        if not init:
            return []
        what = [": ", init["what"]] if init.get("what") else []
        return [("loss at initialisation", [init.get("value"), " (expected ", init.get("expected"), *what, ")"])]


UNIT = LossAtInitUnit()
