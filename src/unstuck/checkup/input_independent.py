"""The input-independent baseline: the same training with every input zeroed, against the real
inputs, scored by the held-out loss on the baselines' first fold."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from unstuck.checkup.problem import Deadline, Problem, generator, train
from unstuck.checkup.units import FOLLOWS, Experiment, fmt, num

STEPS = 200


@dataclass
class InputIndependent:
    loss_real: float  # held-out loss after training on the real inputs
    loss_zeroed: float  # ... and on every input zeroed

    def to_json(self) -> dict:
        return {"loss_real": num(self.loss_real), "loss_zeroed": num(self.loss_zeroed)}


def input_independent(problem: Problem, split, deadline: Deadline | None = None,
                      steps: int = STEPS) -> InputIndependent:
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
    return InputIndependent(**out)


class InputIndependentUnit(Experiment):
    key = "input_independent"
    share = 0.1

    def prepare(self, ctx):
        return FOLLOWS if ctx.splits is None else None  # trains on the baselines' first fold

    def run(self, ctx, deadline):
        return input_independent(ctx.problem, ctx.splits[0], deadline)

    def terminal(self, ck):
        from rich.text import Text
        ii = ck.get(self.key)
        if not ii:
            return []
        return [Text(f"Input-independent baseline: held-out loss {fmt(ii.get('loss_real'))} with the real inputs, "
                     f"{fmt(ii.get('loss_zeroed'))} with every input zeroed.")]

    def html_rows(self, ck):
        ii = ck.get(self.key)
        if not ii:
            return []
        return [("input-independent baseline", ["loss with the real inputs ", ii.get("loss_real"),
                                                ", with zeroed inputs ", ii.get("loss_zeroed")])]


UNIT = InputIndependentUnit()
