"""`unstuck explain`: every rule's documentation renders with its code indentation intact
and its prose as paragraphs (never turned into a numbered list)."""
import io
import textwrap

import pytest
from rich.console import Console
from rich.markdown import Markdown

from unstuck.report.explain import rule_markdown, section_markdown
from unstuck.rules import all_rules


def render(rule) -> str:
    out = io.StringIO()
    Console(file=out, width=250, force_terminal=False, color_system=None).print(Markdown(rule_markdown(rule)))
    return out.getvalue()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rendered_indent(text: str, code: str) -> int:
    hits = [line for line in text.splitlines() if line.strip() == code.strip()]
    assert hits, f"code line lost: {code!r}"
    return _indent(hits[0])


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_code_lines_keep_their_indentation(rule):
    text = render(rule)
    for heading, body in rule.sections().items():
        lines = textwrap.dedent(body).splitlines()
        for prev, line in zip(lines, lines[1:]):
            # a deeper-indented line is code inside a block (`def`, `with`, `for`): it keeps its
            # indentation relative to the line that opens the block
            if line.strip() and _indent(line) > _indent(prev) and prev.rstrip().endswith(":"):
                shift = _rendered_indent(text, line) - _rendered_indent(text, prev)
                assert shift == _indent(line) - _indent(prev), (heading, line)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_prose_is_a_paragraph_and_never_a_list(rule):
    text = render(rule)
    flat = " ".join(text.replace("*", "").split())
    for heading in ("What it detects", "Why it stops learning"):
        body = rule.sections().get(heading)
        if body:
            prose = " ".join(body.replace("`", "").replace("*", "").split())  # markup is rendered
            assert prose in flat, heading
    bullets = [line for line in text.splitlines() if line.lstrip().startswith(("•", "1."))]
    assert len(bullets) == len(rule.thresholds)  # the thresholds are the only list


def test_a_line_opening_with_a_number_stays_prose():
    md = section_markdown("It maximises p (bounded by\n1) instead of log p.")
    assert md == "It maximises p (bounded by 1) instead of log p."
    md = section_markdown("1) first, then\nmore words.")
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(Markdown(md))
    assert out.getvalue().strip() == "1) first, then more words."


def test_code_after_a_colon_is_fenced_and_prose_after_it_is_not():
    md = section_markdown("Do this:\nfor x in y:\n    step(x)\nUse it only for logging.")
    assert md == "Do this:\n\n```python\nfor x in y:\n    step(x)\n```\n\nUse it only for logging."


def test_explain_command_renders_a_rule(capsys):
    from unstuck.cli import main
    assert main(["explain", "LS004"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(bounded by 1) instead of log p" in out
