"""The rule mechanism: each rule is a small pure function over a Trace, declared with
its code, cause slug, severity, requirements and documentation."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

from unstuck.findings import EvidenceValue, Finding, Kind, Location, Severity, evidence
from unstuck.trace import Trace

DOC_SECTIONS = ("What it detects", "Why it stops learning", "Example", "Fix")

# A requirement returns None when the trace has what the rule needs, else why not.
Requirement = Callable[[Trace], "str | None"]


def needs_steps(k: int) -> Requirement:
    def check(trace: Trace) -> str | None:
        return None if trace.ticks >= k else f"needs {k} training steps, saw {trace.ticks}"
    check.__name__ = f"needs_steps({k})"
    return check


def needs_optimizer(trace: Trace) -> str | None:
    return None if trace.optimizers else "no optimizer was created"


def needs_backward(trace: Trace) -> str | None:
    return None if trace.backward_calls else "backward() was never called"


def needs_losses(trace: Trace) -> str | None:
    return None if trace.losses else "no built-in loss function call was seen"


@dataclass(frozen=True)
class Rule:
    code: str
    cause: str
    kind: Kind
    severity: Severity
    title: str
    detect: Callable[["Rule", Trace], list[Finding]]
    requires: tuple[Requirement, ...] = ()
    explains: tuple[str, ...] = ()
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.detect.__doc__ or "")

    def sections(self) -> dict[str, str]:
        """The docstring's sections, keyed by heading."""
        out: dict[str, str] = {}
        current = None
        for line in self.doc.splitlines():
            heading = line.rstrip(":").strip()
            if heading in DOC_SECTIONS and line.rstrip().endswith(":"):
                current = heading
                out[current] = ""
            elif current:
                out[current] += line + "\n"
        return {k: v.strip("\n") for k, v in out.items()}

    def skip_reason(self, trace: Trace) -> str | None:
        for req in self.requires:
            reason = req(trace)
            if reason:
                return reason
        return None

    def finding(self, message: str, location: Location | None, fix: str, *,
                title: str | None = None, severity: Severity | None = None, confidence: float = 0.5,
                shows_at: Location | None = None, **ev: EvidenceValue) -> Finding:
        """`location` is where the mistake is (the line to edit); `shows_at` where it showed,
        kept only when that is another line."""
        return Finding(rule=self.code, cause=self.cause, kind=self.kind, severity=severity or self.severity,
                       title=title or self.title, message=message, location=location,
                       evidence=evidence(**ev), fix=fix, why=self.sections().get("Why it stops learning", ""),
                       confidence=confidence, shows_at=shows_at if shows_at != location else None)


REGISTRY: dict[str, Rule] = {}


def rule(code: str, cause: str, severity: Severity, title: str, *, kind: Kind = Kind.CAUSE,
         requires: tuple[Requirement, ...] = (), explains: tuple[str, ...] = (),
         thresholds: dict[str, float] | None = None):
    """Register a detection function as a rule."""
    def register(fn: Callable[[Rule, Trace], list[Finding]]) -> Rule:
        if code in REGISTRY:
            raise ValueError(f"duplicate rule code {code}")
        r = Rule(code=code, cause=cause, kind=kind, severity=severity, title=title, detect=fn,
                 requires=requires, explains=explains, thresholds=dict(thresholds or {}))
        REGISTRY[code] = r
        return r
    return register


def first_site(records) -> Location | None:
    for r in records:
        if getattr(r, "site", None) is not None:
            return r.site
    return None


def shape(s) -> str:
    return "[" + ", ".join(str(d) for d in s) + "]"
