"""When learning stalls and no code cause explains it, `unstuck run` checks the data it captured.

A run whose only root findings are the stall's symptoms (`loss-plateau`, `prediction-collapse`)
has no code bug to show. The question left is the data's: do the inputs predict the labels at
all? `unstuck run` keeps a bounded sample of the (input, label) pairs its watched steps saw
(`CaptureObserver(copy_model=False)`: at most MAX_SAMPLES samples and MAX_BYTES of memory, no
copy of the model) and, only then, fits the checkup's baselines to them (a constant, a linear
model, boosted trees, k nearest neighbours; cross-validated, SECONDS at most). The checkup's
rules judge the numbers: `not-learnable` when nothing beats the constant, `label-misalignment`
when the batches also show how the pairing broke. Otherwise the report says in one line that
no code bug was seen and which `unstuck checkup` command runs the full experiments.
"""
from __future__ import annotations

import shlex
import time

from unstuck.checkup.problem import Deadline, isolated
from unstuck.checkup.results import CheckupResults

MAX_SAMPLES = 2048  # samples kept while the script runs
MAX_BYTES = 8 * 2**20  # ... and at most this much memory for them
MIN_SAMPLES = 96  # fewer captured samples: no judgement, the checkup is suggested
MAX_CLASSES = 20  # more classes: too few samples per class in the capture, and the baselines get slow
PER_CLASS = 20  # classification: at least this many captured samples per class
SECONDS = 5.0  # time for the baselines
STALL = frozenset({"loss-plateau", "prediction-collapse"})
DATA_CAUSES = ("label-misalignment", "not-learnable")


def capture_observer():
    from unstuck.checkup.capture import CaptureObserver
    return CaptureObserver(max_samples=MAX_SAMPLES, max_bytes=MAX_BYTES, copy_model=False)


def stalled(report) -> bool:
    """The report's root findings at warning level or above are the stall's symptoms only."""
    roots = [f for f in report.findings if not f.caused_by and f.severity.value != "info"]
    return bool(roots) and all(f.cause in STALL for f in roots)


def check(report, trace, capture, *, select=None, ignore=None, command: str = "") -> object:
    """The report with the data judged when learning stalled without a code cause; else
    `report` unchanged. Never raises: a failure is a note."""
    if not stalled(report):
        return report
    try:
        return _check(report, trace, capture, select, ignore, command)
    except KeyboardInterrupt:
        report.notes.append("The data check was interrupted (Ctrl-C); the report is the run's.")
        return report
    except Exception as exc:  # noqa: BLE001 - the data check must never cost the user the report
        from unstuck.reportdata import ToolError
        report.tool_errors.append(ToolError(where="data check when learning stalled",
                                            error=f"{type(exc).__name__}: {exc}"))
        return report


def _check(report, trace, capture, select, ignore, command):
    from unstuck.checkup.baselines import baseline_data, folds, run_baselines
    problem, reason = capture.problem()
    suggest = f"`unstuck checkup {command}` runs the full experiments" if command else \
        "`unstuck checkup` runs the full experiments"
    why = _unjudgeable(problem, reason, capture)
    if why:
        report.notes.append(f"No code bug explains the stalled loss, and the data could not be checked here ({why}): "
                            f"{suggest} (overfitting a few samples, simple baselines, learning rates).")
        return report
    data = baseline_data(problem)
    if isinstance(data, str):
        report.notes.append(f"No code bug explains the stalled loss; the data was not checked ({data}): {suggest}.")
        return report
    start = time.monotonic()
    baselines = isolated(run_baselines, problem, data, folds(problem, data), Deadline(SECONDS))
    constant = next((b.score for b in baselines if b.name == "constant"), None)
    results = CheckupResults(source="run", task=problem.task, samples=problem.n, loss_name=problem.loss_name,
                             baselines=baselines, constant_score=constant, labels=capture.labels.to_json(),
                             seconds=time.monotonic() - start)
    from unstuck.diagnose import diagnose
    trace.checkup = results
    try:
        judged = diagnose(trace, command=report.command, select_=select, ignore=ignore)
    finally:
        trace.checkup = None
    if any(f.cause in DATA_CAUSES for f in judged.findings):
        report.findings, report.rule_runs = judged.findings, judged.rule_runs
        return report
    from unstuck.rules.checkup import learned_by
    best = learned_by(results)
    if best is not None:
        report.notes.append(f"No code bug explains the stalled loss, and simple models do learn the {problem.n} "
                            f"captured samples (best: {best.name}, {best.metric} {best.score:.2f} against the "
                            f"constant's {constant:.2f}): the data is not the problem; {suggest} (overfitting a few "
                            f"samples, learning rates, optimizers).")
    else:
        report.notes.append(f"No code bug explains the stalled loss; the data check was inconclusive (the baselines "
                            f"did not finish in {SECONDS:.0f} s, or its rules were not selected): {suggest}.")
    return report


def _unjudgeable(problem, reason, capture) -> str | None:
    """Why the captured samples cannot be judged here, or None."""
    if problem is None:
        return reason
    if problem.n < MIN_SAMPLES:
        cap = " (the 8 MB cap)" if capture.full and capture.count < MAX_SAMPLES else ""
        return f"only {problem.n} distinct samples were captured{cap}"
    if any(not x.is_floating_point() for x in problem.inputs):
        return "the inputs are integer ids (tokens, indices): simple models on raw ids prove nothing"
    classes = problem.n_classes()
    if classes is not None and classes > MAX_CLASSES:
        return f"{classes} classes: too few captured samples per class, and the baselines would be slow"
    if classes is not None and problem.n < PER_CLASS * classes:
        return f"{problem.n} samples for {classes} classes"
    return None


def command_line(script: str, args) -> str:
    return " ".join(shlex.quote(a) for a in [script, *args])
