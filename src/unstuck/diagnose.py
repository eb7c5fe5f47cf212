"""Run the rules over a Trace and rank what they found.

Findings are linked by cause: a finding whose cause another finding explains follows from
it (`caused_by`) and is fixed by fixing that one. The order is root causes first, then
the causes that follow from them, then symptoms."""
from __future__ import annotations

import dataclasses
import functools
import logging
import traceback

from unstuck.findings import Report
from unstuck.reportdata import Finding, Kind, RuleRun, Severity, Status, root_positions
from unstuck.rules import REGISTRY, Rule, select
from unstuck.rules.base import NotJudged
from unstuck.trace import Trace

log = logging.getLogger(__name__)


def consequences(cause: str) -> frozenset[str]:
    """Every cause or symptom that can follow from `cause`: the union of the `explains` of
    every registered rule that reports it (`unstuck.rules.links` says how they are chosen)."""
    return _links(len(REGISTRY)).get(cause, frozenset())


@functools.lru_cache(maxsize=1)
def _links(registered: int) -> dict[str, frozenset[str]]:
    """cause -> its consequences, built once per registry size (a rule registered later
    rebuilds it)."""
    links: dict[str, set[str]] = {}
    for r in REGISTRY.values():
        links.setdefault(r.cause, set()).update(r.explains)
    return {cause: frozenset(out - {cause}) for cause, out in links.items()}


def run_rules(trace: Trace, rules: list[Rule]) -> tuple[list[Finding], list[RuleRun]]:
    findings: list[Finding] = []
    runs: list[RuleRun] = []
    for r in rules:
        reason = r.skip_reason(trace)
        if reason:
            runs.append(RuleRun(r.code, Status.SKIPPED, reason))
            continue
        try:
            found = r.detect(r, trace)
        except NotJudged as skip:
            runs.append(RuleRun(r.code, Status.SKIPPED, str(skip)))
            continue
        except Exception as exc:  # noqa: BLE001 - a broken rule is reported, not fatal
            log.debug("rule %s failed", r.code, exc_info=True)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            runs.append(RuleRun(r.code, Status.ERRORED, detail))
            continue
        findings.extend(found)
        runs.append(RuleRun(r.code, Status.FINDING if found else Status.PASSED, f"{len(found)} finding(s)"))
    return findings, runs


def rank(findings: list[Finding]) -> list[Finding]:
    """Link findings by cause and order them.

    `explains` is what each finding accounts for among the others; `caused_by` the causes
    of the findings a finding follows from (empty for a root cause). `info` findings are no
    diagnosis, so they explain nothing. The links are those of every registered rule
    (`consequences`), whichever rules ran."""
    present = {f.cause for f in findings if f.severity is not Severity.INFO}
    explains = {id(f): tuple(sorted(consequences(f.cause) & present))
                if f.severity is not Severity.INFO else () for f in findings}
    linked = []
    for f in findings:
        by = tuple(dict.fromkeys(g.cause for g in findings
                                 if g is not f and g.cause != f.cause and f.cause in explains[id(g)]))
        linked.append(dataclasses.replace(f, explains=explains[id(f)], caused_by=by))
    depth = _depths(linked)

    def key(f: Finding):
        return (f.kind is Kind.SYMPTOM, depth[f.cause], f.severity.rank, -f.confidence, f.rule)

    ranked = sorted(linked, key=key)
    return [dataclasses.replace(f, fix=_root_fix(f, ranked)) if f.caused_by else f for f in ranked]


def _root_fix(f: Finding, ranked: list[Finding]) -> str:
    """A consequence is fixed by fixing what it follows from: its own remedy (lower the
    learning rate, clip the gradients) would treat the symptom and hide the bug."""
    roots = roots_of(f, ranked)
    if not roots:
        return f.fix
    names = " and ".join(f"`{r.cause}`" for r in roots)
    return f"This follows from {names}: fix that first. " + " ".join(r.fix.strip() for r in roots)


def _depths(findings: list[Finding]) -> dict[str, int]:
    """The longest chain of `caused_by` above each cause (0 for a root cause)."""
    by = {f.cause: set(f.caused_by) for f in findings}
    depth: dict[str, int] = {}

    def walk(cause: str, seen: frozenset[str]) -> int:
        if cause not in depth:
            parents = [c for c in by.get(cause, ()) if c not in seen]  # a cycle would be a bug in some rule's `explains`
            depth[cause] = 1 + max((walk(c, seen | {cause}) for c in parents), default=-1)
        return depth[cause]

    for cause in by:
        walk(cause, frozenset())
    return depth


def roots_of(finding: Finding, findings: list[Finding]) -> list[Finding]:
    """The root causes (empty `caused_by`) that `finding` follows from, through any chain."""
    found = root_positions([f.cause for f in findings], [f.caused_by for f in findings], finding.caused_by)
    return [findings[i] for i in found]


def diagnose(trace: Trace, command: str = "run", select_: list[str] | None = None,
             ignore: list[str] | None = None) -> Report:
    rules = select(select_, ignore)
    findings, runs = run_rules(trace, rules)
    ranked = rank(findings)
    return Report(command=command, script=trace.script, steps_observed=trace.ticks, findings=ranked,
                  rule_runs=runs)
