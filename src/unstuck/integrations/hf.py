"""An explicit unstuck callback for the Hugging Face `transformers.Trainer`.

`unstuck run train.py` already watches `Trainer.train` with no change to the script. This
callback is for people who prefer to say it in code:

    from unstuck.integrations.hf import UnstuckCallback

    watcher = UnstuckCallback(save_to="runs/unstuck")
    trainer = Trainer(model=model, args=args, train_dataset=data, callbacks=[watcher])
    trainer.train()                 # prints unstuck's report when training ends
    watcher.report.ok               # no error-level finding

The callback watches one `train()` (from `on_train_begin` to `on_train_end`) in an
`unstuck.watch()` session. Every process watches its own training; only the main process
(`state.is_world_process_zero`) prints and saves the report.

The Trainer calls no callback when `train()` raises, so the session of a failed training
keeps watching until `callback.stop(exc)` is called (or the next `train()` begins):

    try:
        trainer.train()
    except Exception as exc:
        watcher.stop(exc)           # the report says how training failed
        raise
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

from transformers import TrainerCallback

import unstuck
from unstuck.findings import Report

__all__ = ["UnstuckCallback", "UnstuckFindingsError"]

FAIL_ON = (None, "error", "warning")


class UnstuckFindingsError(RuntimeError):
    """Raised after training when the report has findings at the callback's `fail_on` level."""

    def __init__(self, report: Report, fail_on: str) -> None:
        self.report = report
        causes = ", ".join(dict.fromkeys(f.cause for f in report.roots if _counts(f, fail_on)))
        super().__init__(f"unstuck found {fail_on}-level problems in this training: {causes}")


class UnstuckCallback(TrainerCallback):
    """Watch `trainer.train()` with unstuck and print why the network is not learning.

    save_to: a folder to keep the run in (`report.save`; `unstuck show FOLDER` opens it).
    fail_on: None (default: only report), "error" or "warning": raise `UnstuckFindingsError`
        from `on_train_end` when the report has a finding at that level or above.
    select / ignore: rule codes or cause names to keep / leave out, as `unstuck run --select`.
    profile: how many steps are watched in detail ("default", "light", "thorough").
    verbose: print the report (on the main process).

    After training, `callback.report` holds the Report (`.findings`, `.ok`, `str(report)`).
    """

    def __init__(self, *, save_to: str | None = None, fail_on: str | None = None,
                 select: Sequence[str] | None = None, ignore: Sequence[str] | None = None,
                 profile: str = "default", verbose: bool = True) -> None:
        if fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be None, 'error' or 'warning', not {fail_on!r}")
        self.save_to, self.fail_on, self.verbose = save_to, fail_on, verbose
        self._options = dict(select=select, ignore=ignore, profile=profile)
        self.session: unstuck.WatchSession | None = None
        self.report: Report | None = None
        self.saved_to: str | None = None
        self._main_process = True

    # ---------------------------------------------------------------- Trainer events
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.stop()  # a session left running by a train() that raised
        self.report = self.saved_to = None
        self._main_process = state.is_world_process_zero
        self.session = unstuck.watch(label=_label(model), **self._options).start()

    def on_train_end(self, args, state, control, **kwargs):
        self._main_process = state.is_world_process_zero
        report = self.stop()
        if report is not None and self.fail_on and any(_counts(f, self.fail_on) for f in report.findings):
            raise UnstuckFindingsError(report, self.fail_on)

    # ---------------------------------------------------------------- the session
    def stop(self, exc: BaseException | None = None) -> Report | None:
        """Stop watching (if watching) and report; `exc` is how training failed, if it did.
        Returns the report, or None when nothing was being watched."""
        if self.session is None or not self.session.watching:
            return None
        self.report = self.session.stop(exc)
        if self._main_process:
            if self.verbose:
                print(self.report)
            if self.save_to:
                self.saved_to = self.report.save(self.save_to)
        return self.report


def _counts(finding, fail_on: str) -> bool:
    """Whether `finding` is at the `fail_on` level or above."""
    levels = ("error",) if fail_on == "error" else ("error", "warning")
    return finding.severity.value in levels


LIBRARIES = ("transformers", "accelerate", "torch", "unstuck")


def _label(model) -> str:
    """The report's name for the run: the file that called `trainer.train()` (the first frame
    outside the libraries), else the model's class."""
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] not in LIBRARIES:
            return frame.f_code.co_filename
        frame = frame.f_back
    return type(model).__name__
