"""The measured results of a checkup: plain numbers, no judgement (rules judge them).

`CheckupResults.to_json()` produces the `report.checkup` object of the contract in
`briefs/checkup_schema.md` (the verdict is added by `unstuck.checkup.verdict`).
"""
from __future__ import annotations

from dataclasses import dataclass, field


def _num(x):
    if x is None:
        return None
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return None
    return float(f"{x:.6g}")


@dataclass
class OverfitRung:
    samples: int
    steps: int
    loss_start: float
    loss_end: float  # with the user's optimizer
    fit: float | None  # on these samples: accuracy, or the share of target variance explained
    loss_zeroed: float | None = None  # the same training with the inputs zeroed
    other_optimizer: str | None = None  # the best alternative optimizer tried on this rung
    other_loss_end: float | None = None
    other_fit: float | None = None

    @property
    def best_fit(self) -> float | None:
        fits = [f for f in (self.fit, self.other_fit) if f is not None]
        return max(fits) if fits else None

    def to_json(self) -> dict:
        return {"samples": self.samples, "loss_start": _num(self.loss_start), "loss_end": _num(self.loss_end),
                "steps": self.steps, "fit": _num(self.fit), "loss_zeroed": _num(self.loss_zeroed),
                "other_optimizer": self.other_optimizer, "other_loss_end": _num(self.other_loss_end),
                "other_fit": _num(self.other_fit)}


@dataclass
class LossAtInit:
    value: float
    expected: float | None
    what: str

    def to_json(self) -> dict:
        return {"value": _num(self.value), "expected": _num(self.expected), "what": self.what}


@dataclass
class BaselineScore:
    name: str
    score: float
    metric: str
    std: float = 0.0

    def to_json(self) -> dict:
        return {"name": self.name, "score": _num(self.score), "metric": self.metric, "std": _num(self.std)}


@dataclass
class NetworkScore:
    score: float | None  # with the user's optimizer and learning rate
    metric: str
    optimizer: str
    best_score: float | None = None  # the best setting tried (the user's included)
    best_optimizer: str | None = None
    steps: int = 0

    def to_json(self) -> dict:
        return {"score": _num(self.score), "metric": self.metric, "optimizer": self.optimizer,
                "best_score": _num(self.best_score), "best_optimizer": self.best_optimizer, "steps": self.steps}


@dataclass
class LRRange:
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float | None
    optimizer: str
    why: str = ""

    def to_json(self) -> dict:
        return {"lrs": [_num(x) for x in self.lrs], "losses": [_num(x) for x in self.losses],
                "smoothed": [_num(x) for x in self.smoothed], "suggestion": _num(self.suggestion),
                "optimizer": self.optimizer, "why": self.why}


@dataclass
class OptimizerRun:
    name: str
    lr: float | None
    losses: list[float]
    final_loss: float | None
    user: bool = False

    def to_json(self) -> dict:
        return {"name": self.name, "lr": _num(self.lr), "losses": [_num(x) for x in self.losses],
                "final_loss": _num(self.final_loss), "user": self.user}


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
                "feature_scales": {k: _num(v) for k, v in self.feature_scales.items()},
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
    loss_at_init: LossAtInit | None = None
    overfit: list[OverfitRung] = field(default_factory=list)
    input_independent: dict | None = None  # {"loss_real", "loss_zeroed"}
    baselines: list[BaselineScore] = field(default_factory=list)
    constant_score: float | None = None  # the constant baseline's score, also in `baselines`
    network: NetworkScore | None = None
    lr_range: LRRange | None = None
    optimizers: list[OptimizerRun] = field(default_factory=list)
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
        if self.loss_at_init:
            out["loss_at_init"] = self.loss_at_init.to_json()
        if self.overfit:
            out["overfit"] = [r.to_json() for r in self.overfit]
        if self.input_independent:
            out["input_independent"] = {k: _num(v) for k, v in self.input_independent.items()}
        if self.baselines:
            out["baselines"] = [b.to_json() for b in self.baselines]
        if self.network:
            out["network"] = self.network.to_json()
        if self.lr_range:
            out["lr_range"] = self.lr_range.to_json()
        if self.optimizers:
            out["optimizers"] = [o.to_json() for o in self.optimizers]
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.skipped:
            out["skipped"] = dict(self.skipped)
        out["timings"] = {k: round(v, 2) for k, v in self.timings.items()}
        out["seconds"] = round(self.seconds, 2)
        return out
