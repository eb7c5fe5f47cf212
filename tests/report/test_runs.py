"""Terminal views of past runs: sparklines on their own or a shared scale."""
from unstuck.report.runs import sparkline


def test_sparkline_spans_its_own_range():
    assert sparkline([1, 2, 3, 4]) == "▁▃▆█"
    assert sparkline([5, 5, 5]) == "▁▁▁"
    assert sparkline([]) == ""


def test_sparkline_buckets_long_series_and_shares_a_scale():
    assert len(sparkline(list(range(1000)), width=40)) == 40
    assert sparkline([1, 2, 3, 4], scale=(0, 8)) == "▂▃▄▅"
    assert sparkline([100, 200], scale=(0, 8)) == "██"


def test_past_findings_are_folded_with_where_they_showed():
    from tests.report.test_folding import REPORT
    from unstuck.report.runs import _findings_text
    assert _findings_text(REPORT).plain.splitlines() == [
        "1. missing-zero-grad train.py:7, shows at train.py:12",
        "   because of 1: lr-too-high train.py:5",
        "   because of 1: exploding-gradients train.py:12",
        "   because of 1, 2: loss-plateau train.py:11",
        "2. unscaled-inputs train.py:3",
        "2 root cause(s); 3 more follow from them",
    ]


def test_show_without_the_terminal_text_lists_the_folded_findings():
    import io

    from rich.console import Console

    from tests.report.test_folding import REPORT
    from unstuck.logbook.rundir import Run
    from unstuck.report.runs import render_show
    out = io.StringIO()
    run = Run(path="runs/x", report=dict(REPORT, script="train.py"), rows=[], header={}, trace=None, text=None,
              checkpoints=[])
    render_show(run, Console(file=out, width=120, color_system=None))
    text = out.getvalue()
    assert "train.py: 50 training step(s) observed" in text
    assert text.index("1. missing-zero-grad") < text.index("because of 1: lr-too-high") < text.index("2. unscaled")
