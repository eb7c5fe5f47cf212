"""`unstuck checkup`: the sanity experiments a careful practitioner would run, on copies of the
captured model and data, and a verdict (bug, data, capacity, optimisation or healthy).

Entry points (nothing here prints; `unstuck.report.emit` renders the Report):
- `checkup_script(script, args)`: watch the script like `unstuck run`, capture, experiment;
- `checkup_table(path, target)`: a CSV/Parquet table with a default network;
- `checkup(model, data, loss_fn, optimizer_factory)`: the Python API.
"""
from __future__ import annotations

import copy
import sys
import types
from collections.abc import Callable, Sequence

import torch
from torch import nn

from unstuck.checkup.confirm import confirm_report
from unstuck.checkup.experiments import DEFAULT_BUDGET, run_experiments
from unstuck.checkup.problem import Deadline, OptimizerSpec, Problem, isolated, stopping_on_sigterm, terminated
from unstuck.checkup.results import CheckupResults
from unstuck.findings import Report
from unstuck.trace import Trace

DEFAULT_MAX_STEPS = 200  # the script's training is stopped after this many steps (unless --max-steps)

__all__ = ["checkup", "checkup_script", "checkup_table", "CheckupResults", "DEFAULT_BUDGET", "DEFAULT_MAX_STEPS"]


def _judge(trace: Trace, results: CheckupResults, select=None, ignore=None, base: Report | None = None) -> Report:
    from unstuck.checkup.verdict import verdict
    from unstuck.diagnose import diagnose
    trace.checkup = results
    report = diagnose(trace, command="checkup", select_=select, ignore=ignore)
    if base is not None:
        report.script_status, report.script_error = base.script_status, base.script_error
        report.tool_errors, report.summary = base.tool_errors, base.summary
    results.verdict = verdict(report.findings, results)
    report.checkup = results.to_json()
    return report


def checkup_script(script: str, script_args: Sequence[str] = (), *, max_steps: int | None = DEFAULT_MAX_STEPS,
                   budget: float | None = DEFAULT_BUDGET, profile: str = "default", select=None, ignore=None,
                   progress: bool = True, observers: Sequence[object] = (), with_trace: bool = False,
                   on_terminate: Callable[[Report], None] | None = None, confirm: bool = True):
    """Watch `script` like `unstuck run`, then experiment on what was captured. Returns the
    Report (and the Trace with `with_trace`). `on_terminate` receives the run's Report when
    SIGTERM ends the script, as for `unstuck run`; SIGTERM during the experiments stops them
    (the report then holds what was measured, see `problem.terminated`). With `confirm`, each
    root cause with a mechanical fix is replayed with the fix applied (checkup.confirm)."""
    from unstuck.api import observe_and_diagnose
    from unstuck.checkup.capture import CaptureObserver
    capture = CaptureObserver()
    base, trace = observe_and_diagnose(script, script_args, max_steps=max_steps, profile=profile, select=select,
                                       ignore=ignore, command="checkup", observers=[*observers, capture],
                                       on_terminate=on_terminate)
    problem, reason = capture.problem()
    labels = capture.labels.to_json()
    del capture
    if problem is None:
        results = CheckupResults(source="script", skipped={"experiments": reason or "nothing captured"})
    else:
        results = _experiments(problem, budget=budget, progress=progress, source="script")
    results.labels = labels
    report = _judge(trace, results, select, ignore, base)
    if confirm and not terminated():
        confirm_report(report, problem, results)
    _note_stop(report)
    return (report, trace) if with_trace else report


def _experiments(problem, **options) -> CheckupResults:
    Deadline.stop(None)
    with stopping_on_sigterm():
        return run_experiments(problem, **options)


def _note_stop(report: Report) -> None:
    if terminated():
        report.notes.append("SIGTERM stopped the experiments: the ones it cut short are listed as skipped, "
                            "and the verdict is judged on the rest.")


def checkup_table(path: str, target: str, *, budget: float | None = DEFAULT_BUDGET, select=None, ignore=None,
                  progress: bool = True) -> Report:
    """Raises `unstuck.checkup.tabular.TableError` for a table it cannot use."""
    from unstuck.checkup.tabular import table_problem
    problem, info = table_problem(path, target)
    results = _experiments(problem, budget=budget, progress=progress, source="table")
    results.integrity = info
    report = _judge(Trace(script=path), results, select, ignore)
    _note_stop(report)
    report.summary = {"rows": info.rows, "columns": info.columns, "target": target, "task": problem.task}
    report.script = path
    return report


LOSS_NAMES = {nn.MSELoss: "mse_loss", nn.L1Loss: "l1_loss", nn.SmoothL1Loss: "smooth_l1_loss",
              nn.HuberLoss: "huber_loss", nn.CrossEntropyLoss: "cross_entropy", nn.NLLLoss: "nll_loss",
              nn.BCELoss: "binary_cross_entropy", nn.BCEWithLogitsLoss: "binary_cross_entropy_with_logits"}


def optimizer_spec(opt: torch.optim.Optimizer, model: nn.Module) -> OptimizerSpec:
    index = {id(p): i for i, p in enumerate(model.parameters())}
    groups = [([index[id(p)] for p in g["params"] if id(p) in index], {k: copy.deepcopy(v) for k, v in g.items()
                                                                        if k != "params"})
              for g in opt.param_groups]
    return OptimizerSpec(type(opt), [g for g in groups if g[0]])


def checkup(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], loss_fn: Callable,
            optimizer_factory: Callable[[object], torch.optim.Optimizer] | None = None, *, batch_size: int = 64,
            budget: float | None = DEFAULT_BUDGET, progress: bool = False) -> Report:
    """Run the checkup's experiments on `model` (copied at its current weights, never changed)
    with samples `data = (inputs, targets)`, `loss_fn(prediction, target)` (a loss module or
    function) and `optimizer_factory(params) -> optimizer` (default: Adam, lr 1e-3).
    Returns a Report whose `checkup` holds the numbers and the verdict."""
    x, y = data
    copy_model = copy.deepcopy(model)
    for p in copy_model.parameters():
        p.grad = None
    factory = optimizer_factory or (lambda params: torch.optim.Adam(params, lr=1e-3))
    probe = copy.deepcopy(copy_model)
    spec = optimizer_spec(factory(probe.parameters()), probe)
    name = LOSS_NAMES.get(type(loss_fn)) or getattr(loss_fn, "__name__", type(loss_fn).__name__)
    with torch.random.fork_rng(), torch.no_grad():
        out = probe.eval()(x[:2])
    problem = Problem(model=copy_model, inputs=(x.detach().clone(),), target=y.detach().clone(), loss_name=name,
                      loss_call=loss_fn, pred_tail=tuple(out.shape[1:]), optimizer=spec,
                      batch_size=min(batch_size, len(y)), train_mode=model.training, source="python")
    Deadline.stop(None)  # in your process, SIGTERM keeps its own meaning: no handler here
    trace = isolated(_watched_training, problem, budget)
    results = run_experiments(problem, budget=budget, progress=progress, source="python")
    report = _judge(trace, results, ignore=WATCH_IGNORED)
    confirm_report(report, problem, results)
    return report


WATCH_STEPS = 60  # steps of the watched short training of the Python API's checkup
WATCH_SECONDS = 5.0  # ... and at most this long (or a tenth of the budget)
# A 60-step training is too short to judge a stall: the experiments measure that instead.
WATCH_IGNORED = ["SY001", "SY002"]


def _watched_training(problem: Problem, budget: float | None) -> Trace:
    """A short training of a copy, watched as `unstuck run` watches a script, so that the
    Python API names the same code causes as `run` (a broadcast in `loss_fn`, a softmax before
    it...); its findings point at the `checkup(...)` call. Any failure: an empty trace."""
    from unstuck.checkup.problem import generator, train
    from unstuck.observe.sampling import PROFILES
    from unstuck.observe.session import Session
    seconds = WATCH_SECONDS if budget is None else min(WATCH_SECONDS, budget / 10)
    try:
        session = Session("<python>", sampling=PROFILES["default"])
        session.start()
    except Exception:  # noqa: BLE001 - the experiments still run
        return Trace(script="<python>")
    try:
        model = problem.fresh()
        train(problem, model, problem.optimizer.build(model), problem.inputs, problem.target, WATCH_STEPS,
              generator(3), Deadline(seconds))
    except Exception:  # noqa: BLE001 - the experiments report what fails; the watch keeps what it saw
        pass
    finally:
        trace = session.stop()
    return trace


class _CallableModule(types.ModuleType):
    """`unstuck.checkup(...)` calls `checkup(...)`, although `unstuck.checkup` is also this package."""

    def __call__(self, *args, **kwargs):
        return checkup(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
