"""What a run keeps: the step log, checkpoints and the run folder with its reports."""
from unstuck.logbook.checkpoints import Checkpointer, load_checkpoint
from unstuck.logbook.rundir import Logbook, load_run
from unstuck.logbook.steplog import StepLog, read_steplog

__all__ = ["Checkpointer", "Logbook", "StepLog", "load_checkpoint", "load_run", "read_steplog"]
