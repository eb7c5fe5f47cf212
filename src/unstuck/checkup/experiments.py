"""Run the experiments on a Problem, within a time budget, with progress bars on a terminal.

Every experiment trains deep copies of the captured model inside `torch.random.fork_rng()`
with private generators (see `problem.isolated`); the user's objects and RNG streams are
never touched. An experiment that cannot run, or that the budget cut, is recorded in
`skipped` with the reason: skipping is never silent.
"""
from __future__ import annotations

import contextlib
import logging
import time
import traceback
import warnings

import torch

import unstuck.checkup.baselines as bl
from unstuck.checkup.lr_range import lr_range_test
from unstuck.checkup.optimizers import candidates, compare_optimizers
from unstuck.checkup.overfit import overfit_ladder, rungs
from unstuck.checkup.problem import Deadline, Problem, isolated
from unstuck.checkup.results import CheckupResults
from unstuck.checkup.sanity import input_independent, loss_at_init

log = logging.getLogger(__name__)

DEFAULT_BUDGET = 60.0  # seconds for all experiments together
# Share of the budget each experiment may use at most (the rest is left to the others).
SHARES = {"overfit": 0.3, "lr_range": 0.1, "optimizers": 0.25, "baselines": 0.15, "network": 0.3,
          "input_independent": 0.1}
# One thread: the experiments' models are small, and on a shared 2-core machine more threads
# (torch's, and OpenMP's in scikit-learn) mostly spin and wait.
MAX_THREADS = 1


class Bars:
    """rich progress bars, one per experiment, or nothing when not on a terminal."""

    def __init__(self, enabled: bool):
        self.progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            console = Console(stderr=True)
            if console.is_terminal:
                self.progress = Progress(TextColumn("{task.description:<24}"), BarColumn(),
                                         TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                         console=console, transient=True)

    def __enter__(self):
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()

    def task(self, name: str, total: int):
        if not self.progress:
            return None
        tid = self.progress.add_task(name, total=total)
        return lambda: self.progress.advance(tid)


@contextlib.contextmanager
def _threads():
    """At most MAX_THREADS threads for the experiments, restored afterwards."""
    from threadpoolctl import threadpool_limits
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, MAX_THREADS)))
    try:
        with threadpool_limits(limits=MAX_THREADS):
            yield
    finally:
        torch.set_num_threads(before)


def run_experiments(problem: Problem, budget: float | None = DEFAULT_BUDGET, progress: bool = True,
                    source: str = "script") -> CheckupResults:
    results = CheckupResults(source=source, task=problem.task, samples=problem.n, loss_name=problem.loss_name,
                             optimizer=problem.optimizer.name, weight_layers=_weight_layers(problem.model))
    total = Deadline(budget)
    start = time.monotonic()
    with _threads(), Bars(progress) as bars, warnings.catch_warnings():
        # The user saw the warnings their loss raises; replaying it hundreds of times repeats them.
        warnings.simplefilter("ignore")
        isolated(_all, problem, results, total, budget, bars)
    results.seconds = time.monotonic() - start
    return results


def _weight_layers(model) -> int:
    return sum(1 for m in model.modules() if any(p is not None and p.dim() >= 2 for p in m._parameters.values()))


def _share(total: Deadline, budget: float | None, key: str) -> Deadline:
    if budget is None:
        return total
    d = Deadline(min(total.left(), SHARES[key] * budget))
    return d


def _guarded(results: CheckupResults, key: str, fn, *args, **kwargs):
    start = time.monotonic()
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - one failing experiment does not stop the others
        log.debug("experiment %s failed", key, exc_info=True)
        results.skipped[key] = "failed: " + "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return None
    finally:
        results.timings[key] = time.monotonic() - start


def _all(problem: Problem, results: CheckupResults, total: Deadline, budget, bars: Bars) -> None:
    results.loss_at_init = _guarded(results, "loss_at_init", loss_at_init, problem)

    ladder = _guarded(results, "overfit", overfit_ladder, problem, _share(total, budget, "overfit"),
                      progress=bars.task("overfit ladder", len(rungs(problem))))
    results.overfit = ladder or []
    if ladder is not None and len(ladder) < len(rungs(problem)):
        why = total.why() if Deadline.stopped else "time budget or a model that cannot train on so few samples"
        results.skipped.setdefault("overfit", f"{len(rungs(problem)) - len(ladder)} rung(s) not run ({why})")

    inputs, target = problem.inputs, problem.target
    if total.over():
        results.skipped["lr_range"] = total.why()
    else:
        results.lr_range = _guarded(results, "lr_range", lr_range_test, problem, inputs, target,
                                    _share(total, budget, "lr_range"), progress=bars.task("learning-rate range", 1))
    suggestion = results.lr_range.suggestion if results.lr_range else None

    cands = candidates(problem, suggestion)
    if total.over():
        results.skipped["optimizers"] = total.why()
    else:
        results.optimizers = _guarded(results, "optimizers", compare_optimizers, problem, inputs, target, suggestion,
                                      _share(total, budget, "optimizers"),
                                      progress=bars.task("optimizer comparison", len(cands))) or []

    data = bl.baseline_data(problem)
    if isinstance(data, str):
        results.skipped["baselines"] = f"no per-sample baseline: {data}"
        return
    if len(data[1]) < 3 * bl.FOLDS:
        results.skipped["baselines"] = f"only {len(data[1])} samples captured"
        return
    splits = bl.folds(problem, data)
    if total.over():
        results.skipped["baselines"] = total.why()
        return
    results.baselines = _guarded(results, "baselines", bl.run_baselines, problem, data, splits,
                                 _share(total, budget, "baselines"), progress=bars.task("baselines", 4)) or []
    const = [b.score for b in results.baselines if b.name == "constant"]
    results.constant_score = const[0] if const else None

    # The network with the user's optimizer; when it falls short of a baseline, also with the
    # optimizer that reached the lowest training loss in the comparison (minibatch ones only).
    settings = [(cands[0][0], cands[0][2])]
    makers = {name: make for name, _, make, user in cands if make is not None and not user}
    better = sorted((r for r in results.optimizers if r.final_loss is not None and r.name in makers
                     and "L-BFGS" not in r.name), key=lambda r: r.final_loss)
    user_run = next((r for r in results.optimizers if r.user), None)
    if better and (user_run is None or user_run.final_loss is None or better[0].final_loss < user_run.final_loss):
        settings.append((better[0].name, makers[better[0].name]))
    best_baseline = max((b.score for b in results.baselines if b.name != "constant"), default=None)
    if total.over():
        results.skipped["network"] = total.why()
    else:
        results.network = _guarded(results, "network", bl.network_score, problem, splits, settings,
                                   _share(total, budget, "network"), until=best_baseline,
                                   progress=bars.task("network on the folds", len(settings)))
    if total.over():
        results.skipped["input_independent"] = total.why()
    else:
        results.input_independent = _guarded(results, "input_independent", input_independent, problem, splits[0],
                                             _share(total, budget, "input_independent"))
