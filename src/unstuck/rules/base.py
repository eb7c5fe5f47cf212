"""The rule mechanism: each rule is a small pure function over a Trace, declared with
its code, cause slug, severity, requirements and documentation."""
from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable

from unstuck.reportdata import EvidenceValue, Finding, Kind, Location, Severity, evidence
from unstuck.trace import Trace

DOC_SECTIONS = ("What it detects", "Why it stops learning", "Example", "Fix")

# Presentation limits: how many names a message lists and how many an evidence field keeps.
# They decide no verdict, so they live here rather than in any rule's thresholds.
SHOWN_NAMES = 4
KEPT_NAMES = 10


class Thresholds(Mapping):
    """A rule's deciding numbers, declared once in its `@rule(..., thresholds={...})` and
    read-only: the detect code reads them as attributes (`t.MIN_CALLS`), `unstuck explain`
    prints them, and the rule's docstring names them as `{MIN_CALLS}` placeholders that
    `Rule.doc` fills in (a format spec is allowed: `{OUTSIDE_SHARE:.0%}`)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, float] | None = None):
        object.__setattr__(self, "_values", MappingProxyType(dict(values or {})))

    def __getattr__(self, name: str) -> float:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no threshold named {name!r}") from None

    def __setattr__(self, name, value):
        raise AttributeError("thresholds are read-only")

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Thresholds({dict(self._values)!r})"


class NotJudged(Exception):
    """Raised by a rule that lacks the data to judge; the message says what it saw and needs."""


# A requirement returns None when the trace has what the rule needs, else why not.
Requirement = Callable[[Trace], "str | None"]


@dataclass(frozen=True)
class _StepsThreshold:
    """`needs_steps("NAME")`: the step count is the rule's threshold NAME, bound at registration."""
    name: str


def needs_steps(k: "int | str") -> Requirement:
    """The run saw at least k training steps; k may name one of the rule's thresholds."""
    if isinstance(k, str):
        return _StepsThreshold(k)  # type: ignore[return-value]

    def check(trace: Trace) -> str | None:
        return None if trace.ticks >= k else f"saw {trace.ticks} training steps, needs {k}"
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
    thresholds: Thresholds = field(default_factory=Thresholds)
    # The report's pictures of this rule's evidence, most telling first (names of
    # `report.html.PANELS`); a panel with nothing to draw in a run is left out.
    panels: tuple[str, ...] = ("loss",)

    @property
    def doc(self) -> str:
        """The docstring with its `{THRESHOLD}` placeholders filled from the thresholds."""
        return fill_thresholds(inspect.cleandoc(self.detect.__doc__ or ""), self.thresholds)

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

    def require(self, have: int, need: float, what: str) -> None:
        """Stop here, skipped rather than passed, when the trace holds fewer than `need` of
        `what` (`saw 2 judged steps, needs 3`)."""
        if have < need:
            raise NotJudged(f"saw {have} {what}, needs {need:g}")

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


def _bind(q: _StepsThreshold, t: Thresholds) -> Requirement:
    check = needs_steps(int(t[q.name]))
    check.threshold = q.name  # type: ignore[attr-defined]
    return check


def rule(code: str, cause: str, severity: Severity, title: str, *, kind: Kind = Kind.CAUSE,
         requires: tuple[Requirement, ...] = (), explains: tuple[str, ...] = (),
         thresholds: Mapping[str, float] | None = None, panels: tuple[str, ...] = ("loss",)):
    """Register a detection function as a rule."""
    def register(fn: Callable[[Rule, Trace], list[Finding]]) -> Rule:
        if code in REGISTRY:
            raise ValueError(f"duplicate rule code {code}")
        t = Thresholds(thresholds)
        reqs = tuple(_bind(q, t) if isinstance(q, _StepsThreshold) else q for q in requires)
        r = Rule(code=code, cause=cause, kind=kind, severity=severity, title=title, detect=fn,
                 requires=reqs, explains=explains, thresholds=t, panels=panels)
        REGISTRY[code] = r
        return r
    return register


PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)(?::([^{}]*))?\}")


def fill_thresholds(text: str, thresholds: Mapping[str, float]) -> str:
    """Replace `{NAME}` / `{NAME:spec}` by the threshold's value (`:g` unless a spec is given)."""
    def sub(m: re.Match) -> str:
        if m.group(1) not in thresholds:
            return m.group(0)
        return format(thresholds[m.group(1)], m.group(2) or "g")
    return PLACEHOLDER.sub(sub, text)


def first_site(records) -> Location | None:
    for r in records:
        if getattr(r, "site", None) is not None:
            return r.site
    return None


def shape(s) -> str:
    return "[" + ", ".join(str(d) for d in s) + "]"
