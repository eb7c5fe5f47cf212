"""What rules report: findings with typed evidence, and each rule's run status."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Union

from unstuck.trace import Location

__all__ = ["Location", "Finding", "Report", "RuleRun", "Severity", "Kind", "Status", "ToolError", "evidence"]

# Evidence values are plain data so that the JSON report is exact and stable.
Scalar = Union[int, float, str, bool, None]
EvidenceValue = Union[Scalar, tuple[Scalar, ...], tuple[tuple[Scalar, ...], ...]]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


class Kind(str, Enum):
    CAUSE = "cause"
    SYMPTOM = "symptom"


@dataclass(frozen=True)
class Finding:
    rule: str
    cause: str
    kind: Kind
    severity: Severity
    title: str
    message: str
    location: Location | None
    evidence: tuple[tuple[str, EvidenceValue], ...] = ()
    fix: str = ""
    why: str = ""
    explains: tuple[str, ...] = ()
    # Higher confidence ranks first among causes of the same severity.
    confidence: float = 0.5

    @property
    def evidence_dict(self) -> dict[str, EvidenceValue]:
        return dict(self.evidence)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "cause": self.cause,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "title": self.title,
            "message": self.message,
            "location": self.location.to_json() if self.location else None,
            "evidence": {k: _jsonable(v) for k, v in self.evidence},
            "fix": self.fix,
            "why": self.why,
            "explains": list(self.explains),
            "confidence": round(self.confidence, 3),
        }


def _jsonable(v: EvidenceValue) -> object:
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, float):
        return float(f"{v:.6g}")
    return v


def evidence(**values: EvidenceValue) -> tuple[tuple[str, EvidenceValue], ...]:
    """Build a finding's evidence, turning lists into tuples so findings stay hashable."""
    out = []
    for k, v in values.items():
        if isinstance(v, list):
            v = tuple(tuple(x) if isinstance(x, list) else x for x in v)
        out.append((k, v))
    return tuple(out)


class Status(str, Enum):
    PASSED = "passed"
    FINDING = "finding"
    SKIPPED = "skipped"
    ERRORED = "errored"


@dataclass(frozen=True)
class RuleRun:
    """A rule's run status, kept apart from its findings (skips are never silent)."""

    code: str
    status: Status
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"rule": self.code, "status": self.status.value, "detail": self.detail}


@dataclass
class ToolError:
    where: str
    error: str
    count: int = 1

    def to_json(self) -> dict[str, object]:
        return {"where": self.where, "error": self.error, "count": self.count}


@dataclass
class Report:
    command: str
    script: str
    steps_observed: int
    findings: list[Finding]
    rule_runs: list[RuleRun] = field(default_factory=list)
    tool_errors: list[ToolError] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    script_status: int | None = None
    script_error: str | None = None
    # `unstuck checkup` only: the experiments and the verdict (the contract in briefs/checkup_schema.md).
    checkup: dict | None = None

    @property
    def diagnosis(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is not Severity.INFO]

    def exit_status(self) -> int:
        if self.script_status:
            return self.script_status
        return 1 if any(f.severity is Severity.ERROR for f in self.findings) else 0
