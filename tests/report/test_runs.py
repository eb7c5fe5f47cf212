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
