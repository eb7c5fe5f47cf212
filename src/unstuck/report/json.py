"""The machine report of spec/report.md."""
from __future__ import annotations

import json
import os

from unstuck.reportdata import ReportData
from unstuck.version import __version__


def to_dict(report: ReportData) -> dict[str, object]:
    return {
        "version": 1,
        "tool": {"name": "unstuck", "version": __version__},
        "command": report.command,
        "script": report.script,
        "steps_observed": report.steps_observed,
        "findings": [f.to_json() for f in report.findings],
        "summary": report.summary,
        "rules": [r.to_json() for r in report.rule_runs],
        "tool_errors": [e.to_json() for e in report.tool_errors],
        "script_status": report.script_status,
        "script_error": report.script_error,
        # False when no optimizer step or backward pass was seen: an empty `findings` then
        # means nothing was judged, not that nothing is wrong
        "judged": report.judged,
        "notes": list(report.notes),
        "checkup": report.checkup,
    }


def write(report: ReportData, path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, "w") as f:
        json.dump(to_dict(report), f, indent=2)
        f.write("\n")
