"""The overfit ladder: from the initial weights, train on 1, 2, 4, 8, ... samples, up to one
batch, and see how close to zero the loss gets.

A healthy model and loss memorise a handful of samples in a few hundred steps; one that
cannot has a bug between its inputs, its outputs and its loss. Each rung is trained with the
user's optimizer, with the inputs zeroed (what a model that ignores its input reaches), and,
on the small rungs, with Adam too, so a poor learning rate is not taken for a bug.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from unstuck.checkup.problem import Deadline, Problem, fit_share, generator, train
from unstuck.checkup.units import Experiment, HtmlTable, fmt, num

STEPS = 200  # training steps per rung
MAX_RUNG = 128  # largest rung (samples), whatever the batch size
SMALL_RUNG = 8  # rungs up to this size are also trained with inputs zeroed and with the alternatives
ALTERNATIVES = (("Adam", 3e-3),)


@dataclass
class OverfitRung:
    samples: int
    steps: int
    loss_start: float
    loss_end: float  # with the user's optimizer
    fit: float | None  # on these samples: accuracy, or the share of target variance explained
    loss_zeroed: float | None = None  # the same training with the inputs zeroed
    other_optimizer: str | None = None  # the best alternative optimizer tried on this rung
    other_loss_end: float | None = None
    other_fit: float | None = None

    @property
    def best_fit(self) -> float | None:
        fits = [f for f in (self.fit, self.other_fit) if f is not None]
        return max(fits) if fits else None

    def to_json(self) -> dict:
        return {"samples": self.samples, "loss_start": num(self.loss_start), "loss_end": num(self.loss_end),
                "steps": self.steps, "fit": num(self.fit), "loss_zeroed": num(self.loss_zeroed),
                "other_optimizer": self.other_optimizer, "other_loss_end": num(self.other_loss_end),
                "other_fit": num(self.other_fit)}


def rungs(problem: Problem) -> list[int]:
    top = min(problem.batch_size, problem.n, MAX_RUNG)
    sizes, k = [], 1
    while k < top:
        sizes.append(k)
        k *= 2
    sizes.append(top)
    return sizes


class Truncated(Exception):
    """The time budget ran out inside a rung: a half-trained rung is not a measurement."""


def _run(problem: Problem, inputs, target, make_opt, gen, deadline, steps) -> tuple[float, float, float | None]:
    model = problem.fresh()
    start = problem.eval_loss(model, inputs, target)
    opt = make_opt(model)
    train(problem, model, opt, inputs, target, steps, gen, deadline, batch_size=target.shape[0])
    if deadline is not None and deadline.over():
        raise Truncated()
    return start, problem.eval_loss(model, inputs, target), fit_share(problem, model, inputs, target)


def _rung(problem: Problem, size: int, inputs, target, deadline, steps) -> OverfitRung:
    start, end, fit = _run(problem, inputs, target, problem.optimizer.build, generator(size), deadline, steps)
    rung = OverfitRung(samples=size, steps=steps, loss_start=start, loss_end=end, fit=fit)
    if size <= SMALL_RUNG:
        zeroed = tuple(torch.zeros_like(x) if x.is_floating_point() else x for x in inputs)
        rung.loss_zeroed = _run(problem, zeroed, target, problem.optimizer.build, generator(size), deadline, steps)[1]
        for name, lr in ALTERNATIVES:
            def make(model, lr=lr):
                return torch.optim.Adam(model.parameters(), lr=lr)
            _, other_end, other_fit = _run(problem, inputs, target, make, generator(size), deadline, steps)
            if rung.other_fit is None or (other_fit is not None and other_fit > rung.other_fit):
                rung.other_optimizer, rung.other_loss_end, rung.other_fit = f"{name}(lr={lr:g})", other_end, other_fit
    return rung


def overfit_ladder(problem: Problem, deadline: Deadline | None = None, steps: int = STEPS,
                   progress=None) -> list[OverfitRung]:
    out: list[OverfitRung] = []
    sizes = rungs(problem)
    for size in sizes:
        if deadline is not None and deadline.over():
            break
        inputs, target = problem.subset(slice(0, size))
        try:
            rung = _rung(problem, size, inputs, target, deadline, steps)
        except Truncated:
            break
        except RuntimeError:  # e.g. batch-norm cannot train on one sample
            if progress:
                progress()
            continue
        out.append(rung)
        if progress:
            progress()
    return out


class OverfitUnit(Experiment):
    key = "overfit"
    share = 0.3
    gated = False  # runs on what is left of the budget, rung by rung
    panel = "overfit"

    def run(self, ctx, deadline):
        sizes = rungs(ctx.problem)
        ladder = overfit_ladder(ctx.problem, deadline, progress=ctx.bar("overfit ladder", len(sizes)))
        if len(ladder) < len(sizes):
            why = ctx.total.why() if Deadline.stopped else "time budget or a model that cannot train on so few samples"
            ctx.results.skipped.setdefault(self.key, f"{len(sizes) - len(ladder)} rung(s) not run ({why})")
        return ladder

    def empty(self):
        return []

    def terminal(self, ck):
        from rich.table import Table
        ladder = ck.get(self.key)
        if not ladder:
            return []
        t = Table(title="Overfit ladder (from the initial weights)", title_justify="left")
        others = sorted({r["other_optimizer"] for r in ladder if r.get("other_optimizer")})
        for col in ("samples", "steps", "loss start", "loss end", "fit", "inputs zeroed",
                    "with " + (others[0] if len(others) == 1 else "another optimizer")):
            t.add_column(col, justify="right")
        for r in ladder:
            other = fmt(r.get("other_loss_end")) if r.get("other_optimizer") else "-"
            t.add_row(str(r["samples"]), str(r.get("steps")), fmt(r.get("loss_start")), fmt(r.get("loss_end")),
                      fmt(r.get("fit"), ".0%") if r.get("fit") is not None else "-", fmt(r.get("loss_zeroed")), other)
        return [t]

    def html_table(self, ck):
        ladder = ck.get(self.key)
        if not ladder:
            return None
        return HtmlTable("Overfit ladder", ["samples", "steps", "loss before", "loss after"],
                         [([str(r.get("samples")), str(r.get("steps")), r.get("loss_start"), r.get("loss_end")], False)
                          for r in ladder])


UNIT = OverfitUnit()
