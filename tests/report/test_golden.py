"""One golden rendering per rule, terminal text and JSON, from the hand-built trace on which
the rule fires (tests/rules/tracebuild.FIRING): a change in what a report says is a reviewed
diff. After an intended change, regenerate with

    UNSTUCK_UPDATE_GOLDEN=1 python -m pytest tests/report/test_golden.py
"""
from __future__ import annotations

import io
import json
import os

import pytest
from rich.console import Console

from tests.rules.tracebuild import FIRING
from unstuck.api import summarize
from unstuck.diagnose import diagnose
from unstuck.report import json as json_report
from unstuck.report import terminal
from unstuck.rules import REGISTRY

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
UPDATE = os.environ.get("UNSTUCK_UPDATE_GOLDEN") == "1"


def _renderings(code: str) -> tuple[str, str]:
    trace = FIRING[code]()
    report = diagnose(trace, select_=[code])
    report.summary = summarize(trace)
    out = io.StringIO()
    terminal.render(report, Console(file=out, width=100, color_system=None, highlight=False, emoji=False))
    data = json_report.to_dict(report)
    data["tool"] = {"name": "unstuck"}  # the version changes with every release, the report does not
    return out.getvalue(), json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_every_rule_has_a_firing_trace():
    assert set(FIRING) == set(REGISTRY)


@pytest.mark.parametrize("code", sorted(FIRING))
def test_golden_rendering(code):
    text, data = _renderings(code)
    assert code in text and json.loads(data)["findings"][0]["rule"] == code
    for suffix, actual in ((".txt", text), (".json", data)):
        path = os.path.join(GOLDEN, code + suffix)
        if UPDATE:
            with open(path, "w") as f:
                f.write(actual)
            continue
        assert os.path.exists(path), f"no golden file {path}: run with UNSTUCK_UPDATE_GOLDEN=1"
        with open(path) as f:
            expected = f.read()
        assert actual == expected, f"{path} changed; if intended, regenerate with UNSTUCK_UPDATE_GOLDEN=1"
