"""What the Lightning and Hugging Face callbacks share, free of either framework: their
options, the `unstuck.watch()` session of one training, and the report at its end."""
from __future__ import annotations

from collections.abc import Sequence

import unstuck
from unstuck.findings import Report

FAIL_ON = (None, "error", "warning")


class UnstuckFindingsError(RuntimeError):
    """Raised after training when the report has findings at the callback's `fail_on` level."""

    def __init__(self, report: Report, fail_on: str) -> None:
        self.report = report
        causes = ", ".join(dict.fromkeys(f.cause for f in report.roots if _counts(f, fail_on)))
        super().__init__(f"unstuck found {fail_on}-level problems in this training: {causes}")


def _counts(finding, fail_on: str) -> bool:
    """Whether `finding` is at the `fail_on` level or above."""
    levels = ("error",) if fail_on == "error" else ("error", "warning")
    return finding.severity.value in levels


class Watcher:
    """One training watched at a time. The callbacks call `_start_watching(label)` when
    training begins, `_finish_watching(exc, main_process)` when it ends or fails, and
    `_raise_on_findings()` where the framework lets an exception reach the user."""

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

    def _start_watching(self, label: str) -> None:
        if self.session is not None and self.session.watching:
            return
        self.report = self.saved_to = None
        self.session = unstuck.watch(label=label, **self._options).start()

    def _finish_watching(self, exc: BaseException | None, main_process: bool) -> Report | None:
        """Stop watching (if watching); print and save the report on the main process."""
        if self.session is None or not self.session.watching:
            return None
        self.report = self.session.stop(exc)
        if main_process:
            if self.verbose:
                print(self.report)
            if self.save_to:
                self.saved_to = self.report.save(self.save_to)
        return self.report

    def _raise_on_findings(self) -> None:
        if self.fail_on and self.report is not None and any(_counts(f, self.fail_on) for f in self.report.findings):
            raise UnstuckFindingsError(self.report, self.fail_on)
