"""With -v the terminal report closes with one line naming the rules that were skipped or errored;
without it, only errored rules are counted, in one short line. The JSON keeps every status."""
import io

from rich.console import Console

from tests.rules.tracebuild import lr001
from unstuck.diagnose import diagnose
from unstuck.findings import RuleRun, Status
from unstuck.report import terminal


def _render(report, verbose: bool = True) -> str:
    out = io.StringIO()
    terminal.render(report, Console(file=out, width=300, color_system=None, highlight=False), verbose=verbose)
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


def test_without_verbose_skips_are_left_to_the_json_and_errors_are_counted():
    from unstuck.report.json import to_dict
    report = diagnose(lr001(judged=2), select_=["LR001", "LR002", "GF001"])
    assert "Not judged" not in _render(report, verbose=False)
    assert "rule(s) failed" not in _render(report, verbose=False)
    assert {r["rule"]: r["status"] for r in to_dict(report)["rules"]}["LR001"] == "skipped"
    report.rule_runs.append(RuleRun("XX001", Status.ERRORED, "ValueError: boom"))
    lines = [line for line in _render(report, verbose=False).splitlines() if "failed inside unstuck" in line]
    assert lines == ["1 rule(s) failed inside unstuck and could not judge; -v shows which (the script was not "
                     "affected)."]


def test_verbose_is_an_option_of_run_as_well(tmp_path, monkeypatch, capsys):
    from tests.report.test_html import FIXED
    from unstuck.cli import main
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fixed.py").write_text(FIXED)
    assert main(["run", "--no-log", "fixed.py"]) == 0
    assert "Not judged" not in capsys.readouterr().err
    assert main(["run", "-v", "--no-log", "fixed.py"]) == 0
    assert "Not judged: CK001 skipped" in capsys.readouterr().err
    assert main(["run", "--no-log", "fixed.py", "--verbose"]) == 0  # the script's own option
    assert "went to the script" not in capsys.readouterr().err
