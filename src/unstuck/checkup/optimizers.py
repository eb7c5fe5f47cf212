"""Optimizer comparison: the same initial weights, the same samples and the same budget of
gradient evaluations for the user's optimizer and a few standard ones; the training loss
each reaches on the samples.

L-BFGS runs full-batch (on at most LBFGS_MAX_SAMPLES samples) with a strong-Wolfe line
search, MAX_ITER function evaluations per step, so it gets STEPS / MAX_ITER steps.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from unstuck.checkup.problem import Deadline, Problem, generator, train
from unstuck.checkup.units import Experiment, HtmlTable, fmt, num

STEPS = 200
LBFGS_MAX_ITER = 10
LBFGS_MAX_SAMPLES = 2048
RECORD_POINTS = 30  # points of each loss curve kept in the report


@dataclass
class OptimizerRun:
    name: str
    lr: float | None
    losses: list[float]
    final_loss: float | None
    user: bool = False

    def to_json(self) -> dict:
        return {"name": self.name, "lr": num(self.lr), "losses": [num(x) for x in self.losses],
                "final_loss": num(self.final_loss), "user": self.user}


def _lbfgs(model) -> torch.optim.Optimizer:
    return torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=LBFGS_MAX_ITER, line_search_fn="strong_wolfe")


def candidates(problem: Problem, suggestion: float | None) -> list[tuple[str, float | None, Callable, bool]]:
    """(name, lr, make(model) -> optimizer, is the user's) for each optimizer compared."""
    spec = problem.optimizer
    whose = "the default network's" if problem.source == "table" else "yours"
    out = [(f"{spec.name} ({whose})", spec.lr, spec.build, True)]
    if suggestion is not None and spec.cls is not torch.optim.LBFGS:
        out.append((f"{spec.name} at the suggested lr", suggestion,
                    lambda m, lr=suggestion: spec.build(m, lr=lr), False))
    standard = [
        ("SGD+momentum", 0.01, lambda m: torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9), torch.optim.SGD),
        ("Adam", 1e-3, lambda m: torch.optim.Adam(m.parameters(), lr=1e-3), torch.optim.Adam),
        ("AdamW", 1e-3, lambda m: torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01), torch.optim.AdamW),
        ("L-BFGS", 1.0, _lbfgs, torch.optim.LBFGS),
        ("Adam then L-BFGS", 1e-3, None, None),
    ]
    # The user's own optimizer at the same learning rate is already in the list.
    out += [(name, lr, make, False) for name, lr, make, cls in standard
            if not (cls is spec.cls and (spec.lr is None or abs(spec.lr - lr) <= 1e-12 * lr))]
    return out


def compare_optimizers(problem: Problem, inputs, target, suggestion: float | None = None,
                       deadline: Deadline | None = None, steps: int = STEPS, progress=None) -> list[OptimizerRun]:
    runs: list[OptimizerRun] = []
    n = target.shape[0]
    lb_n = min(n, LBFGS_MAX_SAMPLES)
    every = max(1, steps // RECORD_POINTS)
    for name, lr, make, user in candidates(problem, suggestion):
        if deadline is not None and deadline.over():
            break
        model = problem.fresh()
        gen = generator(11)
        first = problem.eval_loss(model, inputs, target)
        try:
            if make is None:  # Adam for half the budget, then L-BFGS
                half = steps // 2
                losses = train(problem, model, torch.optim.Adam(model.parameters(), lr=lr), inputs, target, half,
                               gen, deadline, record_every=every)
                losses += train(problem, model, _lbfgs(model), tuple(x[:lb_n] for x in inputs), target[:lb_n],
                                max(1, half // LBFGS_MAX_ITER), gen, deadline, batch_size=lb_n)
            elif make is _lbfgs:
                losses = train(problem, model, _lbfgs(model), tuple(x[:lb_n] for x in inputs), target[:lb_n],
                               max(1, steps // LBFGS_MAX_ITER), gen, deadline, batch_size=lb_n)
            else:
                losses = train(problem, model, make(model), inputs, target, steps, gen, deadline, record_every=every)
            final = problem.eval_loss(model, inputs, target)
        except (RuntimeError, ValueError) as exc:  # an optimizer that cannot train this model
            runs.append(OptimizerRun(name=f"{name}: {type(exc).__name__}", lr=lr, losses=[], final_loss=None,
                                     user=user))
            continue
        runs.append(OptimizerRun(name=name, lr=lr, losses=[first] + losses, final_loss=final, user=user))
        if progress:
            progress()
    return runs


def suggested_lr(results) -> float | None:
    """The learning-rate range test's suggestion, when it ran and made one."""
    return results.lr_range.suggestion if results.lr_range else None


class OptimizersUnit(Experiment):
    key = "optimizers"
    share = 0.25
    panel = "optimizers"

    def run(self, ctx, deadline):
        p, suggestion = ctx.problem, suggested_lr(ctx.results)
        return compare_optimizers(p, p.inputs, p.target, suggestion, deadline,
                                  progress=ctx.bar("optimizer comparison", len(candidates(p, suggestion))))

    def empty(self):
        return []

    def terminal(self, ck):
        from rich.table import Table
        if not ck.get(self.key):
            return []
        t = Table(title="Optimizer comparison (same initial weights and budget)", title_justify="left")
        for col in ("optimizer", "lr", "final training loss"):
            t.add_column(col, justify="right" if col != "optimizer" else "left")
        for o in ck[self.key]:
            t.add_row(o["name"], fmt(o.get("lr"), ".2g"), fmt(o.get("final_loss")))
        return [t]

    def html_table(self, ck):
        if not ck.get(self.key):
            return None
        return HtmlTable("Optimizers", ["optimizer", "lr", "final loss"],
                         [([o.get("name"), o.get("lr"), o.get("final_loss")], False) for o in ck[self.key]])


UNIT = OptimizersUnit()
