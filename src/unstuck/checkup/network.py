"""The network on the baselines' folds: trained from its initial weights for STEPS steps with
the user's optimizer and, when the optimizer comparison found one that reached a lower training
loss, with that one too; scored on each held-out fold (R^2 or accuracy, higher is better), so
that it can be set against the baselines."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from unstuck.checkup.optimizers import candidates, suggested_lr
from unstuck.checkup.problem import CLASSIFICATION, Deadline, Problem, generator, train
from unstuck.checkup.units import FOLLOWS, Experiment, num

log = logging.getLogger(__name__)

STEPS = 400


@dataclass
class NetworkScore:
    score: float | None  # with the user's optimizer and learning rate
    metric: str
    optimizer: str
    best_score: float | None = None  # the best setting tried (the user's included)
    best_optimizer: str | None = None
    steps: int = 0

    def to_json(self) -> dict:
        return {"score": num(self.score), "metric": self.metric, "optimizer": self.optimizer,
                "best_score": num(self.best_score), "best_optimizer": self.best_optimizer, "steps": self.steps}


def network_score(problem: Problem, splits, settings: list[tuple[str, Callable]], deadline: Deadline | None = None,
                  steps: int = STEPS, until: float | None = None, progress=None) -> NetworkScore:
    """The network's held-out score for each (name, make(model) -> optimizer) in turn; the
    first setting is the user's. Stops once a setting scores at least `until`."""
    metric = "accuracy" if problem.task == CLASSIFICATION else "r2"
    result = NetworkScore(score=None, metric=metric, optimizer=settings[0][0], steps=steps)
    for k, (name, make) in enumerate(settings):
        scores = []
        for i, (tr, te) in enumerate(splits):
            if deadline is not None and deadline.over():
                break
            tr_t, te_t = torch.as_tensor(tr), torch.as_tensor(te)
            model = problem.fresh()
            (xi, yi), (xo, yo) = problem.subset(tr_t), problem.subset(te_t)
            try:
                train(problem, model, make(model), xi, yi, steps, generator(100 + i), deadline)
                s = problem.score(model, xo, yo)
            except RuntimeError as exc:
                log.debug("network training with %s failed: %s", name, exc)
                s = None
            if deadline is not None and deadline.over():
                break  # cut short by the time budget: no score for this setting
            scores.append(-np.inf if s is None else s)
        if scores and len(scores) == len(splits):
            score = float(np.mean(scores))
            if not np.isfinite(score):
                score = None
            if k == 0:
                result.score = score
            if score is not None and (result.best_score is None or score > result.best_score):
                result.best_score, result.best_optimizer = score, name
        if progress:
            progress()
        if until is not None and result.best_score is not None and result.best_score >= until:
            break
    return result


def settings(problem: Problem, results) -> list[tuple[str, Callable]]:
    """The user's optimizer; when it falls short of another in the optimizer comparison, also
    the one that reached the lowest training loss there (minibatch ones only)."""
    cands = candidates(problem, suggested_lr(results))
    out = [(cands[0][0], cands[0][2])]
    makers = {name: make for name, _, make, user in cands if make is not None and not user}
    better = sorted((r for r in results.optimizers if r.final_loss is not None and r.name in makers
                     and "L-BFGS" not in r.name), key=lambda r: r.final_loss)
    user_run = next((r for r in results.optimizers if r.user), None)
    if better and (user_run is None or user_run.final_loss is None or better[0].final_loss < user_run.final_loss):
        out.append((better[0].name, makers[better[0].name]))
    return out


class NetworkUnit(Experiment):
    key = "network"
    share = 0.3

    def prepare(self, ctx):
        return FOLLOWS if ctx.splits is None else None  # trains on the baselines' folds

    def run(self, ctx, deadline):
        tried = settings(ctx.problem, ctx.results)
        best_baseline = max((b.score for b in ctx.results.baselines if b.name != "constant"), default=None)
        return network_score(ctx.problem, ctx.splits, tried, deadline, until=best_baseline,
                             progress=ctx.bar("network on the folds", len(tried)))

    # The terminal and the page show it in the baselines' table (baselines.py).
    def html_rows(self, ck):
        net = ck.get(self.key)
        return [("network", [net.get("metric"), " ", net.get("score")])] if net else []


UNIT = NetworkUnit()
