"""`unstuck.watch()`: watch training in this process (a notebook cell, a test, a program of
one's own) and judge it, as `unstuck run` judges a script.

    with unstuck.watch() as session:
        train(model, loader)
    report = session.report()
    print(report)                # the terminal report
    report.ok                    # no finding at error level
    report.findings[0].cause     # "loss-broadcast"

The session watches everything torch does between entering and leaving the block, in every
frame (the training may run inside a library). Watching is transparent as under `unstuck run`:
the block computes what it computes without unstuck, and a failure inside the tool never
reaches it. An exception raised by the block goes on to the caller after the session has
stopped; its report says how the block failed and judges the steps seen before.

Sessions nest: a `watch()` entered inside another one (or inside `unstuck run`) watches its
own block, and the outer session goes on watching once it ends. Every torch patch and hook is
removed when the last session stops, whichever way its block was left.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from unstuck.findings import Report

__all__ = ["watch", "WatchSession"]


class WatchSession:
    """One watched block. Use it as a context manager (`with unstuck.watch() as session:`), or
    call `start()` and `stop()` where a `with` block does not fit (a notebook's cells)."""

    def __init__(self, *, profile: str = "default", select: Sequence[str] | None = None,
                 ignore: Sequence[str] | None = None, label: str | None = None, steplog: bool = True) -> None:
        from unstuck.observe.sampling import PROFILES
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
        self.profile = profile
        self.select = list(select) if select else None
        self.ignore = list(ignore) if ignore else None
        self.label = label
        self._want_steplog = steplog
        self._session = None
        self._steplog = None
        self._status: int | None = None
        self._error: str | None = None
        self._report: Report | None = None
        self._trace = None

    # ---------------------------------------------------------------- lifecycle
    @property
    def watching(self) -> bool:
        return self._session is not None and self._trace is None

    def start(self) -> WatchSession:
        """Start watching (torch is imported here). A session watches one stretch of code: it
        cannot be started twice."""
        if self._session is not None:
            raise RuntimeError("this unstuck.watch() session was already started; make a new one with "
                               "unstuck.watch() to watch another block")
        import torch  # noqa: F401 - the session patches torch

        from unstuck.logbook.steplog import StepLog
        from unstuck.observe.sampling import PROFILES
        from unstuck.observe.session import Session
        self.label = self.label or _caller_file()
        self._steplog = StepLog() if self._want_steplog else None
        observers = [self._steplog] if self._steplog is not None else []
        self._session = Session(self.label, sampling=PROFILES[self.profile], observers=observers)
        self._session.start()
        return self

    def stop(self, exc: BaseException | None = None) -> Report:
        """Stop watching and judge what was seen; `exc` is how the block failed, if it did.
        Stopping twice is harmless: the report of the first stop is kept."""
        if self._session is None:
            raise RuntimeError("this unstuck.watch() session was never started")
        if self._trace is None:
            if exc is not None:
                self._status, self._error = _failure(exc)
            self._trace = self._session.stop()
        return self.report()

    def __enter__(self) -> WatchSession:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.stop(exc)
        return False  # the block's exception goes on to the caller

    # ---------------------------------------------------------------- results
    def report(self) -> Report:
        """The diagnosis of the watched block (judged once, when it is first asked for)."""
        if self._session is None:
            raise RuntimeError("nothing was watched: start the session first (with unstuck.watch() as s: ...)")
        if self._trace is None:
            raise RuntimeError("the session is still watching: ask for its report after the `with` block "
                               "(or after session.stop())")
        if self._report is None:
            from unstuck.api import summarize
            from unstuck.diagnose import diagnose
            report = diagnose(self._trace, command="watch", select_=self.select, ignore=self.ignore)
            report.script_status, report.script_error = self._status, self._error
            report.tool_errors = list(self._session.errors.values())
            report.summary = summarize(self._trace)
            report.run = (self._steplog, self._trace)
            self._report = report
        return self._report

    @property
    def trace(self):
        """The facts the report was judged on (after the block)."""
        return self._trace

    def __repr__(self) -> str:
        state = "watching" if self.watching else "stopped" if self._trace is not None else "not started"
        return f"<unstuck.WatchSession {self.label or ''} ({state})>"


def watch(*, profile: str = "default", select: Sequence[str] | None = None, ignore: Sequence[str] | None = None,
          label: str | None = None, steplog: bool = True) -> WatchSession:
    """Watch the training done in a `with` block and judge it, as `unstuck run` does a script.

    profile: how many steps are watched in detail ("economy", "default", "full").
    select / ignore: rule codes or cause names to keep / leave out, as `--select` / `--ignore`.
    label: the name the report gives the run (default: the caller's file).
    steplog: keep a step log in memory, for the report's charts and `report.save()`.
    """
    return WatchSession(profile=profile, select=select, ignore=ignore, label=label, steplog=steplog)


def _caller_file() -> str:
    """The file of the first frame outside unstuck: the user's script, test or notebook cell."""
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    return frame.f_code.co_filename if frame is not None else "<watch>"


def _failure(exc: BaseException) -> tuple[int | None, str | None]:
    """Status and one line for a block that raised, as `unstuck run` reports a script."""
    from unstuck.observe.session import StopTraining
    if isinstance(exc, StopTraining):
        return None, None
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None or code == 0:
            return None, None
        return (code if isinstance(code, int) else 1), f"the block exited with status {code}"
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted (KeyboardInterrupt)"
    return 1, f"{type(exc).__name__}: {exc}"
