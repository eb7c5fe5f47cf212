"""Run the experiments on a Problem, within a time budget, with progress bars on a terminal.

The experiments are the units of the registry (`checkup/results.py` `EXPERIMENTS`, the
contract in `checkup/units.py`), run in its order; nothing here names one. Every experiment trains deep copies of the captured model inside `torch.random.fork_rng()`
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

from unstuck.checkup.problem import Deadline, Problem, isolated
from unstuck.checkup.results import EXPERIMENTS, CheckupResults
from unstuck.checkup.units import FOLLOWS, Context, Experiment

log = logging.getLogger(__name__)

DEFAULT_BUDGET = 60.0  # seconds for all experiments together (each unit's `share` is of this)
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
    start = time.monotonic()
    with _threads(), Bars(progress) as bars, warnings.catch_warnings():
        # The user saw the warnings their loss raises; replaying it hundreds of times repeats them.
        warnings.simplefilter("ignore")
        ctx = Context(problem=problem, results=results, total=Deadline(budget), budget=budget, bar=bars.task)
        isolated(_all, ctx)
    results.seconds = time.monotonic() - start
    return results


def _weight_layers(model) -> int:
    return sum(1 for m in model.modules() if any(p is not None and p.dim() >= 2 for p in m._parameters.values()))


def _deadline(ctx: Context, unit: Experiment) -> Deadline | None:
    """The unit's share of the budget, no more than is left of it."""
    if unit.share is None:
        return None
    if ctx.budget is None:
        return ctx.total
    return Deadline(min(ctx.total.left(), unit.share * ctx.budget))


def _guarded(ctx: Context, unit: Experiment):
    results = ctx.results
    start = time.monotonic()
    try:
        return unit.run(ctx, _deadline(ctx, unit))
    except Exception as exc:  # noqa: BLE001 - one failing experiment does not stop the others
        log.debug("experiment %s failed", unit.key, exc_info=True)
        results.skipped[unit.key] = "failed: " + "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return None
    finally:
        results.timings[unit.key] = time.monotonic() - start


def _all(ctx: Context) -> None:
    for unit in EXPERIMENTS:
        why = unit.prepare(ctx)
        if why is None and unit.gated and ctx.total.over():
            why = ctx.total.why()
        if why is None:
            unit.store(ctx.results, _guarded(ctx, unit))
        elif why != FOLLOWS:
            ctx.results.skipped[unit.key] = why
