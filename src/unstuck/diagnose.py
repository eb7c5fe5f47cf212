"""Run the rules over a Trace and rank what they found: root causes first, then causes
that follow from another finding, then symptoms; each finding names what it explains."""
from __future__ import annotations

import dataclasses
import logging
import traceback

from unstuck.findings import Finding, Kind, Report, RuleRun, Status
from unstuck.rules import Rule, select
from unstuck.rules.base import NotJudged
from unstuck.trace import Trace

log = logging.getLogger(__name__)


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


def rank(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Order findings and fill in `explains` with the other findings each one accounts for."""
    present = {f.cause for f in findings}
    linked = []
    for f in findings:
        r = rules.get(f.rule)
        explains = tuple(c for c in (r.explains if r else ()) if c in present and c != f.cause)
        linked.append(dataclasses.replace(f, explains=explains))
    explained_by: dict[str, list[Finding]] = {}
    for f in linked:
        if f.kind is Kind.CAUSE:
            for c in f.explains:
                explained_by.setdefault(c, []).append(f)

    def is_consequence(f: Finding) -> bool:
        """Explained by another cause that f does not explain in turn."""
        return any(g.cause not in f.explains for g in explained_by.get(f.cause, []) if g is not f)

    def key(f: Finding):
        return (f.kind is Kind.SYMPTOM, is_consequence(f), f.severity.rank, -f.confidence, f.rule)

    return sorted(linked, key=key)


def diagnose(trace: Trace, command: str = "run", select_: list[str] | None = None,
             ignore: list[str] | None = None) -> Report:
    rules = select(select_, ignore)
    findings, runs = run_rules(trace, rules)
    ranked = rank(findings, {r.code: r for r in rules})
    return Report(command=command, script=trace.script, steps_observed=trace.ticks, findings=ranked,
                  rule_runs=runs)
