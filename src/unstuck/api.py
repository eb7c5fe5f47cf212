"""The library core: run a script under observation, diagnose it, return a Report.

`cli.py`, `demo/` and the tests use these functions; they are also the seam for the
Python API, `checkup` and distributed runs. Nothing here prints: rendering is the job
of `unstuck.report`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from unstuck.findings import Report
from unstuck.trace import Trace


def observe_and_diagnose(script: str, script_args: Sequence[str] = (), *, module: bool = False,
                         max_steps: int | None = None, profile: str = "default", select: list[str] | None = None,
                         ignore: list[str] | None = None, command: str = "run",
                         observers: Sequence[object] = (),
                         on_terminate: Callable[[Report], None] | None = None) -> tuple[Report, Trace]:
    """Run `script` as `python script *script_args` would (with `module=True`, as
    `python -m script *script_args`), under observation; return its Report and the Trace it
    was judged on. `observers` are extra observers (`unstuck.observe.hub.Observer` subclasses:
    `install(session)`, `uninstall()` and the events they override) that watch the run beside
    the built-in ones. `on_terminate` receives the
    Report when SIGTERM ends the run, just before the process dies of the signal."""
    from unstuck.runner import run_script

    options = dict(command=command, select=select, ignore=ignore)
    terminated = None
    if on_terminate is not None:
        def terminated(result):
            on_terminate(_report(result, **options))
    result = run_script(script, list(script_args), module=module, max_steps=max_steps, profile=profile,
                        observers=observers, on_terminate=terminated)
    return _report(result, **options), result.trace


def diagnose_result(result, *, command: str = "run", select: list[str] | None = None,
                    ignore: list[str] | None = None) -> Report:
    """The Report of a finished `runner.ScriptResult` (the distributed launcher judges the
    result it gathered from its processes with it)."""
    return _report(result, command=command, select=select, ignore=ignore)


def _report(result, *, command: str, select, ignore) -> Report:
    from unstuck.diagnose import diagnose

    report = diagnose(result.trace, command=command, select_=select, ignore=ignore)
    report.script_status = result.status
    report.script_error = result.error
    report.tool_errors = result.tool_errors
    report.summary = summarize(result.trace)
    return report


def summarize(t: Trace) -> dict[str, object]:
    """The report's summary of what was observed."""
    return {
        "steps": t.ticks, "backward_calls": t.backward_calls, "optimizer_steps": t.step_calls,
        "models": sorted(set(t.models)), "optimizers": [o.cls for o in t.optimizers.values()],
        "sampled_steps": len(t.sampled_ticks), "stopped_at_max_steps": t.stopped_at_max_steps,
    }


def diagnose_script(script: str, script_args: Sequence[str] = (), **options) -> Report:
    """`observe_and_diagnose` without the Trace."""
    return observe_and_diagnose(script, script_args, **options)[0]
