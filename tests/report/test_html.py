"""The HTML report: cause first with the user's line, inline SVG charts, everything escaped."""
import re
import textwrap
from html.parser import HTMLParser

from unstuck.api import observe_and_diagnose
from unstuck.logbook.steplog import StepLog
from unstuck.logbook.tracedata import trace_data
from unstuck.report.html import RunView, render_compare_html, render_html, report_dict

BROADCAST = """
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(256, 4); y = x.sum(1)
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(40):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)   # [256, 1] against [256]
    loss.backward()
    opt.step()
"""

FIXED = BROADCAST.replace("model(x), y)", "model(x).squeeze(-1), y)")

# Module names and an error message that are HTML: they must show as text, never as markup.
PAYLOAD = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
HOSTILE = f"""
import torch, torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential()
model.add_module({PAYLOAD!r}, nn.Linear(4, 8))
model.add_module("relu", nn.ReLU())
model.add_module({IMG!r}, nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(64, 4), torch.randn(64, 1)
for step in range(12):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
raise ValueError({IMG!r} + " & <b>bold</b>")
"""

CHECKUP = {
    "verdict": {"kind": "bug", "summary": "The network cannot fit 2 samples: <i>a bug</i>, not the data."},
    "task": "regression",
    "loss_at_init": {"value": 2.31, "expected": 2.30, "what": "ln(10) for 10-class cross-entropy"},
    "overfit": [{"samples": 1, "loss_start": 1.2, "loss_end": 0.0003, "steps": 200},
                {"samples": 2, "loss_start": 1.1, "loss_end": 0.9, "steps": 200}],
    "input_independent": {"loss_real": 0.05, "loss_zeroed": 0.98},
    "baselines": [{"name": "constant", "score": 0.0, "metric": "r2"},
                  {"name": "linear <svg onload=alert(3)>", "score": 0.61, "metric": "r2"}],
    "network": {"score": 0.58, "metric": "r2"},
    "lr_range": {"lrs": [1e-6, 1e-5, 1e-4, 1e-3, 1e-2], "losses": [1.0, 0.98, 0.7, 0.4, 3.0], "suggestion": 0.0003},
    "optimizers": [{"name": "Adam", "lr": 0.001, "losses": [1.0, 0.7, 0.5], "final_loss": 0.5},
                   {"name": "SGD", "lr": 0.01, "losses": [1.0, 0.9, 0.85], "final_loss": 0.85}],
    "seconds": 12.3,
}


_runs: dict[str, tuple] = {}


def watched(tmp_path, code):
    """Report, step log rows and trace data of `code` (each program runs once per session)."""
    if code not in _runs:
        script = tmp_path / "train.py"
        script.write_text(textwrap.dedent(code))
        log = StepLog()
        report, trace = observe_and_diagnose(str(script), observers=[log])
        _runs[code] = (report, log.rows, trace_data(trace))
    return _runs[code]


def page_for(tmp_path, code, checkup=None):
    report, rows, data = watched(tmp_path, code)
    view = report_dict(report)
    if checkup is not None:
        view["checkup"] = checkup
    return report, render_html(RunView(report=view, rows=rows, trace=data))


def visible_text(html: str) -> str:
    """The page's text outside tags, entities decoded (what a reader sees)."""
    import html as html_lib
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_buggy_script_page_names_the_cause_first_with_the_line_and_charts(tmp_path):
    report, page = page_for(tmp_path, BROADCAST)
    assert report.findings[0].cause == "loss-broadcast"
    verdict = page.index('id="verdict"')
    first = page.index('id="finding-1"')
    assert verdict < first < page.index('id="charts"')
    card = page[first:page.index("</article>", first)]
    assert "loss-broadcast" in card and "train.py:9" in card
    assert "loss = nn.functional.mse_loss(model(x), y)" in visible_text(card)
    svgs = re.findall(r"<svg\b", page)
    assert len(svgs) >= 4  # loss, gradient flow, update size, activations, learning rate
    assert "constant prediction" in page  # the loss chart's baseline
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert 'name="viewport"' in page and "Content-Security-Policy" in page


class Elements(HTMLParser):
    """Every element and attribute of a page, as a browser's parser sees them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def test_module_names_and_error_messages_are_escaped(tmp_path):
    report, page = page_for(tmp_path, HOSTILE)
    assert report.script_error and PAYLOAD not in page and IMG not in page and "<b>bold</b>" not in page
    parsed = Elements(page)
    assert not parsed.tags & {"script", "img", "b", "iframe", "object"}
    assert not [a for a in parsed.attrs if a.startswith("on")]
    text = visible_text(page)
    assert IMG + " &amp; <b>bold</b>" in text or IMG + " & <b>bold</b>" in text  # the error, as text
    assert PAYLOAD + ".weight" in text  # the layer name in the chart, as text


def test_checkup_section_renders_every_part_and_escapes_it(tmp_path):
    _, page = page_for(tmp_path, BROADCAST, checkup=CHECKUP)
    checkup = page[page.index('id="checkup"'):]
    text = visible_text(checkup)
    for shown in ["regression", "ln(10) for 10-class cross-entropy", "0.98", "r2", "Adam", "SGD", "0.0003",
                  "12.3 s"]:
        assert shown in text
    assert page.index('id="checkup-verdict"') < page.index('id="verdict"')
    assert "<i>a bug</i>" not in page and "&lt;i&gt;a bug&lt;/i&gt;" in page
    assert "<svg onload" not in page and not [a for a in Elements(page).attrs if a.startswith("on")]
    assert len(re.findall(r"<svg\b", checkup)) == 4  # overfit ladder, baselines, lr range, optimizers


def test_missing_checkup_parts_are_skipped(tmp_path):
    _, page = page_for(tmp_path, BROADCAST, checkup={"verdict": {"kind": "healthy"}})
    assert 'id="checkup"' in page and "Overfit ladder" not in page


def test_healthy_run_says_what_was_seen(tmp_path):
    _, page = page_for(tmp_path, FIXED)
    assert "No problem found in 40 observed training step(s)." in page
    assert 'id="findings"' not in page


def test_compare_page_shows_both_runs(tmp_path):
    ra, rows_a, _ = watched(tmp_path, BROADCAST)
    rb, rows_b, data_b = watched(tmp_path, FIXED)
    a = RunView(report=report_dict(ra), rows=rows_a, label="broken <run>")
    b = RunView(report=report_dict(rb), rows=rows_b, trace=data_b, label="fixed")
    page = render_compare_html(a, b)
    assert "broken &lt;run&gt;" in page and "broken <run>" not in page
    assert page.index("loss-broadcast") < page.index("No problem found in 40")
    assert len(re.findall(r"<svg\b", page)) == 1


def test_consequences_are_folded_under_their_root_cause_with_both_locations():
    from tests.report.test_folding import REPORT
    page = render_html(RunView(report=dict(REPORT, script="train.py", command="run")))
    text = visible_text(page)
    assert "2 root cause(s), most likely first; 3 more follow from them" in " ".join(text.split())
    order = [page.index(f'id="{i}"') for i in ("finding-1", "finding-1-1", "finding-1-2", "finding-1-3",
                                               "finding-2")]
    assert order == sorted(order)
    first_card = page[page.index('id="finding-1"'):page.index('id="finding-1-1"')]
    assert "train.py:7 in &lt;module&gt;" in first_card and "shows at train.py:12 in step" in first_card
    plateau = page[page.index('id="finding-1-3"'):page.index('id="finding-2"')]
    assert "because of 1, 2:" in plateau and "loss-plateau" in plateau
    assert 'id="finding-3"' not in page  # a consequence gets no number of its own


def test_compare_page_folds_each_run_with_its_own_ids():
    from tests.report.test_folding import REPORT
    run = RunView(report=dict(REPORT, script="train.py", command="run"), label="a")
    page = render_compare_html(run, run)
    for side in "AB":
        assert f'id="{side}-finding-1-3"' in page and f'id="{side}-finding-2"' in page
    assert page.count("because of 1, 2:") == 2


EVIDENCE = {  # program -> its root cause and the chart titles its card must show
    "broadcast": ("loss-broadcast", ["Predictions against targets", "Training loss"]),
    "schedule": ("lr-schedule-collapse", ["Learning rate", "Training loss"]),
    "vanishing": ("vanishing-gradients", ["Gradient norm per layer over the steps", "Gradient norm per layer"]),
    "double_softmax": ("double-softmax", ["Predicted classes against the targets", "Training loss"]),
}


def evidence_page(tmp_path, name):
    from tests.report.evidence_programs import PROGRAMS
    return page_for(tmp_path, PROGRAMS[name])


def root_card(page: str, number: int = 1) -> str:
    start = page.index(f'id="finding-{number}"')
    return page[start:page.index("</article>", start)]


def test_every_rule_declares_pictures_the_report_can_draw():
    from unstuck.report.html import PANELS
    from unstuck.rules import all_rules
    for rule in all_rules():
        assert rule.panels and set(rule.panels) <= set(PANELS), rule.code


def test_each_root_cause_card_carries_the_pictures_of_its_evidence(tmp_path):
    for name, (cause, titles) in EVIDENCE.items():
        (tmp_path / name).mkdir()
        report, page = evidence_page(tmp_path / name, name)
        assert report.findings[0].cause == cause, name
        card = root_card(page)
        figures = re.findall(r'<figure class="evidence" data-title="[^"]*">(.*?)</figure>', card, re.S)
        shown = [visible_text(f) for f in figures]
        assert len(figures) >= len(titles), (name, len(figures))
        for title in titles:
            assert any(title in text for text in shown), (name, title)


def test_panels_with_nothing_to_show_are_left_out(tmp_path):
    _, page = page_for(tmp_path, FIXED)  # healthy: no card, a constant learning rate, no dead unit
    assert "<figure class=\"evidence\"" not in page and "Learning rate" not in page and "Activation health" not in page
