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

from transformers import TrainerCallback

from unstuck.findings import Report
from unstuck.integrations.watcher import UnstuckFindingsError, Watcher

__all__ = ["UnstuckCallback", "UnstuckFindingsError"]


class UnstuckCallback(Watcher, TrainerCallback):
    """Watch `trainer.train()` with unstuck and print why the network is not learning.

    save_to: a folder to keep the run in (`report.save`; `unstuck show FOLDER` opens it).
    fail_on: None (default: only report), "error" or "warning": raise `UnstuckFindingsError`
        from `on_train_end` when the report has a finding at that level or above.
    select / ignore: rule codes or cause names to keep / leave out, as `unstuck run --select`.
    profile: how many steps are watched in detail ("economy", "default", "full").
    verbose: print the report (on the main process).

    After training, `callback.report` holds the Report (`.findings`, `.ok`, `str(report)`).
    """

    _main_process = True

    # ---------------------------------------------------------------- Trainer events
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.stop()  # a session left running by a train() that raised
        self._main_process = state.is_world_process_zero
        self._start_watching(_label(model))

    def on_train_end(self, args, state, control, **kwargs):
        self._main_process = state.is_world_process_zero
        if self.stop() is not None:
            self._raise_on_findings()

    def stop(self, exc: BaseException | None = None) -> Report | None:
        """Stop watching (if watching) and report; `exc` is how training failed, if it did.
        Returns the report, or None when nothing was being watched."""
        return self._finish_watching(exc, self._main_process)


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
