"""The terminal report closes with one line naming the rules that were skipped or errored."""
import io

from rich.console import Console

from tests.rules.tracebuild import lr001
from unstuck.diagnose import diagnose
from unstuck.findings import RuleRun, Status
from unstuck.report import terminal


def _render(report) -> str:
    out = io.StringIO()
    terminal.render(report, Console(file=out, width=300, color_system=None, highlight=False))
    return out.getvalue()


def test_skipped_and_errored_rules_in_one_closing_line():
    trace = lr001(judged=2)
    report = diagnose(trace, select_=["LR001", "LR002", "GF001"])
    report.rule_runs.append(RuleRun("XX001", Status.ERRORED, "ValueError: boom"))
    lines = [line for line in _render(report).splitlines() if line.startswith("Not judged:")]
    assert lines == ["Not judged: LR001 skipped (saw 2 judged steps, needs 3); LR002 skipped (saw 2 judged steps, "
                     "needs 3); XX001 errored (ValueError: boom)."]


def test_no_line_when_every_rule_ran():
    report = diagnose(lr001(), select_=["LR001"])
    assert "Not judged" not in _render(report)
