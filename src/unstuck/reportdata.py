"""What rules report and renderers read: findings with typed evidence, each rule's run status,
the tool's own errors, and the fields of a report (ReportData). Plain data that imports nothing
of unstuck but the Trace's Location, so that the rules, the renderers and the run folder can
all use it; `unstuck.findings` re-exports it and adds the Report that renders and saves itself."""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Union

from unstuck.trace import Location

__all__ = ["Location", "Finding", "ReportData", "RuleRun", "Severity", "Kind", "Status", "ToolError", "evidence",
           "prose", "root_positions"]

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
    # The causes of earlier findings this one follows from (filled in by diagnose.rank); a
    # finding with a non-empty caused_by is a consequence, fixed by fixing its root cause.
    caused_by: tuple[str, ...] = ()
    # Where the mistake showed, when that is another line than `location` (where it is).
    shows_at: Location | None = None
    # The replay with the fix applied (unstuck.checkup.confirm; spec/report.md `confirmation`).
    confirmation: dict | None = field(default=None, compare=False)

    @property
    def evidence_dict(self) -> dict[str, EvidenceValue]:
        return dict(self.evidence)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "rule": self.rule,
            "cause": self.cause,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "title": self.title,
            "message": prose(self.message),
            "location": self.location.to_json() if self.location else None,
            "evidence": {k: _jsonable(v) for k, v in self.evidence},
            "fix": textwrap.dedent(self.fix).strip(),
            "why": prose(self.why),
            "explains": list(self.explains),
            "caused_by": list(self.caused_by),
            "confidence": round(self.confidence, 3),
        }
        if self.shows_at is not None and self.shows_at != self.location:
            out["shows_at"] = self.shows_at.to_json()
        if self.confirmation is not None:
            out["confirmation"] = self.confirmation
        return out


def prose(text: str) -> str:
    """A paragraph of prose on one line: docstring indentation and line breaks removed."""
    return " ".join(text.split())


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


def root_positions(causes: Sequence[str], caused_by: Sequence[Sequence[str]], start: Sequence[str]) -> list[int]:
    """Positions (ascending) of the root causes, among findings given by their `causes` and
    `caused_by` lists, that a finding caused by `start` follows from, through any chain. Works
    on Findings and on the JSON report's finding objects alike (the renderers fold both)."""
    first: dict[str, int] = {}
    for i, cause in enumerate(causes):
        first.setdefault(cause, i)
    out: list[int] = []
    todo, seen = list(start), set()
    while todo:
        cause = todo.pop(0)
        i = first.get(cause)
        if i is None or cause in seen:
            continue
        seen.add(cause)
        if caused_by[i]:
            todo.extend(caused_by[i])
        elif i not in out:
            out.append(i)
    return sorted(out)


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
class ReportData:
    """A report's contents and what they say (ok, judged, the exit status); the renderers read
    it and nothing else. `unstuck.findings.Report`, the report users get, adds its views."""

    command: str
    script: str
    steps_observed: int
    findings: list[Finding]
    rule_runs: list[RuleRun] = field(default_factory=list)
    tool_errors: list[ToolError] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)
    script_status: int | None = None
    script_error: str | None = None
    # What the user should know about how the run was observed, e.g. unstuck's own options
    # given after the script, so that they went to the script instead.
    notes: list[str] = field(default_factory=list)
    # `unstuck checkup` only: the experiments and the verdict (the contract in briefs/checkup_schema.md).
    checkup: dict | None = None
    # What the charts draw: (step log, Trace) of a run watched in this process (unstuck.watch()).
    run: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """No finding at error level and the watched code did not fail."""
        return not self.script_status and not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def diagnosis(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is not Severity.INFO]

    @property
    def roots(self) -> list[Finding]:
        """The diagnosis without the findings that follow from another one."""
        return [f for f in self.diagnosis if not f.caused_by]

    @property
    def judged(self) -> bool:
        """Whether anything was trained, so that there was something to judge."""
        return self.steps_observed > 0 or bool(self.summary.get("backward_calls")) or self._experimented()

    def _experimented(self) -> bool:
        """`unstuck checkup`: its experiments ran (a table's checkup trains without a script)."""
        ck = self.checkup or {}
        return bool(ck.get("overfit") or ck.get("baselines") or ck.get("integrity"))

    def exit_status(self, fail_on: str = "error") -> int:
        """The process exit status (see EXIT_STATUSES): the script's own failure first, then
        findings at or above `fail_on` (error | warning | never), then an unjudged run."""
        if self.script_status:
            return self.script_status
        if fail_on == "never":
            return 0
        counted = {Severity.ERROR} if fail_on == "error" else {Severity.ERROR, Severity.WARNING}
        if any(f.severity in counted for f in self.findings):
            return 1
        return 0 if self.judged else NOTHING_JUDGED


NOTHING_JUDGED = 3
# Documented in `unstuck run --help` and the README.
EXIT_STATUSES = (
    ("0", "finished, no finding at the --fail-on level (default: error)"),
    ("1", "a finding at the --fail-on level (error, or warning with --fail-on warning)"),
    ("2", "usage error (unknown option, no such script)"),
    ("3", "nothing to judge: no optimizer step or backward pass was seen (not with --fail-on never)"),
    ("other", "the script's own failure status: it raised (1), called sys.exit(n) (n) or was "
              "interrupted (130); the report is still written"),
)
