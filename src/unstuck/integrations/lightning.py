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

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the standalone package
    from pytorch_lightning.callbacks import Callback

from unstuck.integrations.watcher import UnstuckFindingsError, Watcher

__all__ = ["UnstuckCallback", "UnstuckFindingsError"]


class UnstuckCallback(Watcher, Callback):
    """Watch `trainer.fit` with unstuck and print why the network is not learning.

    save_to: a folder to keep the run in (`report.save`; `unstuck show FOLDER` opens it).
    fail_on: None (default: only report), "error" or "warning": raise `UnstuckFindingsError`
        after fit when the report has a finding at that level or above.
    select / ignore: rule codes or cause names to keep / leave out, as `unstuck run --select`.
    profile: how many steps are watched in detail ("economy", "default", "full").
    verbose: print the report (on global rank zero).

    After fit, `callback.report` holds the Report (`.findings`, `.ok`, `str(report)`).
    """

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
        self._raise_on_findings()

    # ---------------------------------------------------------------- the session
    def _start(self, pl_module) -> None:
        self._start_watching(_label(pl_module))  # nothing when already watching

    def _finish(self, trainer, exception: BaseException | None = None) -> None:
        self._finish_watching(exception, trainer.is_global_zero)


def _label(pl_module) -> str:
    """The report's name for the run: the file that defines the LightningModule."""
    try:
        return inspect.getsourcefile(type(pl_module)) or type(pl_module).__name__
    except TypeError:
        return type(pl_module).__name__
