"""An explicit unstuck callback for PyTorch Lightning.

`unstuck run train.py` already watches `Trainer.fit` with no change to the script. This
callback is for people who prefer to say it in code, or who cannot change the command:

    from unstuck.integrations.lightning import UnstuckCallback

    watcher = UnstuckCallback(save_to="runs/unstuck", fail_on="error")
    trainer = lightning.Trainer(max_epochs=5, callbacks=[watcher])
    trainer.fit(model, loader)      # prints unstuck's report when fit ends
    watcher.report.ok               # no error-level finding

The callback watches one `fit` (from its `setup`, so that the optimizers built in
`configure_optimizers` are seen being built, until `on_fit_end`, or `on_exception` when fit
fails) in an `unstuck.watch()` session. Every process watches its own training; only global
rank zero prints and saves the report. Both `lightning.pytorch` and the older
`pytorch_lightning` package work.
"""
from __future__ import annotations

import inspect
from collections.abc import Sequence

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the standalone package
    from pytorch_lightning.callbacks import Callback

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


class UnstuckCallback(Callback):
    """Watch `trainer.fit` with unstuck and print why the network is not learning.

    save_to: a folder to keep the run in (`report.save`; `unstuck show FOLDER` opens it).
    fail_on: None (default: only report), "error" or "warning": raise `UnstuckFindingsError`
        after fit when the report has a finding at that level or above.
    select / ignore: rule codes or cause names to keep / leave out, as `unstuck run --select`.
    profile: how many steps are watched in detail ("default", "light", "thorough").
    verbose: print the report (on global rank zero).

    After fit, `callback.report` holds the Report (`.findings`, `.ok`, `str(report)`).
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

    # ---------------------------------------------------------------- Lightning hooks
    def setup(self, trainer, pl_module, stage: str) -> None:
        if stage == "fit":
            self._start(pl_module)

    def on_fit_start(self, trainer, pl_module) -> None:
        self._start(pl_module)  # already started in setup, unless setup was skipped

    def on_fit_end(self, trainer, pl_module) -> None:
        self._finish(trainer)

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._finish(trainer, exception)

    def teardown(self, trainer, pl_module, stage: str) -> None:
        if stage != "fit":
            return
        self._finish(trainer)
        # Raised last, from teardown (a failed fit never gets here: its own error stands).
        if self.fail_on and self.report is not None and any(_counts(f, self.fail_on) for f in self.report.findings):
            raise UnstuckFindingsError(self.report, self.fail_on)

    # ---------------------------------------------------------------- the session
    def _start(self, pl_module) -> None:
        if self.session is not None and self.session.watching:
            return
        self.report = self.saved_to = None
        self.session = unstuck.watch(label=_label(pl_module), **self._options).start()

    def _finish(self, trainer, exception: BaseException | None = None) -> None:
        if self.session is None or not self.session.watching:
            return
        self.report = self.session.stop(exception)
        if trainer.is_global_zero:
            if self.verbose:
                print(self.report)
            if self.save_to:
                self.saved_to = self.report.save(self.save_to)


def _counts(finding, fail_on: str) -> bool:
    """Whether `finding` is at the `fail_on` level or above."""
    levels = ("error",) if fail_on == "error" else ("error", "warning")
    return finding.severity.value in levels


def _label(pl_module) -> str:
    """The report's name for the run: the file that defines the LightningModule."""
    try:
        return inspect.getsourcefile(type(pl_module)) or type(pl_module).__name__
    except TypeError:
        return type(pl_module).__name__
