"""The checkup's experiments and their measured results: plain numbers, no judgement (the
rules in `rules/checkup.py` judge them).

`EXPERIMENTS` is the registry: every experiment unit (`checkup/units.py`), in the order they
run and are shown. `CheckupResults` holds one typed field per experiment, named by its key,
next to what the checkup knows about the problem. `CheckupResults.to_json()` produces the
`report.checkup` object of the report (the verdict is added by `unstuck.checkup.verdict`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from unstuck.checkup import baselines, input_independent, loss_at_init, lr_range, network, optimizers, overfit
from unstuck.checkup.baselines import BaselineScore
from unstuck.checkup.input_independent import InputIndependent
from unstuck.checkup.loss_at_init import LossAtInit
from unstuck.checkup.lr_range import LRRange
from unstuck.checkup.network import NetworkScore
from unstuck.checkup.optimizers import OptimizerRun
from unstuck.checkup.overfit import OverfitRung
from unstuck.checkup.units import Experiment, num

__all__ = ["EXPERIMENTS", "CheckupResults", "Integrity", "BaselineScore", "InputIndependent", "LossAtInit",
           "LRRange", "NetworkScore", "OptimizerRun", "OverfitRung"]

# The order matters: an experiment reads what those before it measured (the optimizer
# comparison the range test's suggestion; the network and the input-independent baseline the
# baselines' folds), and the budget is spent in this order.
EXPERIMENTS: tuple[Experiment, ...] = (loss_at_init.UNIT, overfit.UNIT, lr_range.UNIT, optimizers.UNIT,
                                       baselines.UNIT, network.UNIT, input_independent.UNIT)


@dataclass
class Integrity:
    """Table checks before any training."""

    rows: int
    columns: int
    nonfinite: dict[str, int] = field(default_factory=dict)  # column -> count of NaN/Inf/missing
    constant_columns: list[str] = field(default_factory=list)
    duplicate_rows: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)
    feature_scales: dict[str, float] = field(default_factory=dict)  # column -> std
    categorical: list[str] = field(default_factory=list)
    rows_dropped: int = 0
    # how the table was read, printed with the results (tabular.py): column -> (count, example) of
    # the values that are not numbers in a column that is mostly numbers; columns dropped as
    # too wide to one-hot encode; how the target was encoded
    stray_text: dict[str, tuple[int, str]] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)
    target_encoding: str = ""

    def to_json(self) -> dict:
        return {"rows": self.rows, "columns": self.columns, "nonfinite": dict(self.nonfinite),
                "constant_columns": list(self.constant_columns), "duplicate_rows": self.duplicate_rows,
                "label_counts": dict(self.label_counts),
                "feature_scales": {k: num(v) for k, v in self.feature_scales.items()},
                "categorical": list(self.categorical), "rows_dropped": self.rows_dropped,
                "stray_text": {k: list(v) for k, v in self.stray_text.items()},
                "dropped_columns": list(self.dropped_columns), "target_encoding": self.target_encoding}


@dataclass
class CheckupResults:
    source: str  # "script", "table" or "python"
    task: str | None = None
    samples: int = 0
    loss_name: str | None = None
    optimizer: str | None = None
    # modules of the model that hold a weight of 2+ dimensions (Linear, Conv, RNN, Embedding):
    # 1 is a model without hidden units (a linear or logistic model)
    weight_layers: int | None = None
    # one field per experiment of EXPERIMENTS, named by its key
    loss_at_init: LossAtInit | None = None
    overfit: list[OverfitRung] = field(default_factory=list)
    lr_range: LRRange | None = None
    optimizers: list[OptimizerRun] = field(default_factory=list)
    baselines: list[BaselineScore] = field(default_factory=list)
    constant_score: float | None = None  # the constant baseline's score, also in `baselines`
    network: NetworkScore | None = None
    input_independent: InputIndependent | None = None
    integrity: Integrity | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # experiment -> why it did not run
    labels: dict | None = None  # capture.LabelEvidence.to_json(): inputs seen again relabelled, sorted batches
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # experiment -> seconds
    verdict: dict | None = None

    def to_json(self) -> dict:
        out: dict = {}
        if self.verdict:
            out["verdict"] = dict(self.verdict)
        if self.task:
            out["task"] = self.task
        out["source"] = self.source
        out["samples"] = self.samples
        if self.loss_name:
            out["loss"] = self.loss_name
        if self.optimizer:
            out["optimizer"] = self.optimizer
        if self.weight_layers is not None:
            out["weight_layers"] = self.weight_layers
        if self.integrity:
            out["integrity"] = self.integrity.to_json()
        for unit in EXPERIMENTS:
            value = getattr(self, unit.key)
            if value:
                out[unit.key] = unit.to_json(value)
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.skipped:
            out["skipped"] = dict(self.skipped)
        out["timings"] = {k: round(v, 2) for k, v in self.timings.items()}
        out["seconds"] = round(self.seconds, 2)
        return out
