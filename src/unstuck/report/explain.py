"""A rule's documentation as Markdown, for `unstuck explain`.

Docstring sections mix prose and code. Prose lines are re-flowed into paragraphs (so a
line that happens to start with "1) instead of log p" is not read as a numbered list);
code keeps its lines and indentation in a fenced block. Code is what follows a line
ending in ":" and parses as Python; the Example section is code throughout.
"""
from __future__ import annotations

import ast
import re
import textwrap

_LIST_MARKER = re.compile(r"^(\d+)([.)])(\s)")


def _parses(lines: list[str]) -> bool:
    try:
        ast.parse(textwrap.dedent("\n".join(lines)))
    except SyntaxError:
        return False
    return True


def _code_run(lines: list[str], start: int) -> int:
    """The end of the longest run of lines from `start` that parses as Python (start if none)."""
    for end in range(len(lines), start, -1):
        if all(not line.strip() for line in lines[start:end]):
            continue
        if _parses(lines[start:end]):
            return end
    return start


def _prose(lines: list[str]) -> str:
    text = " ".join(" ".join(line.split()) for line in lines if line.strip())
    return _LIST_MARKER.sub(r"\1\\\2\3", text)  # "1) ..." opening a paragraph stays prose


def section_markdown(body: str, code: bool = False) -> str:
    """One docstring section body as Markdown."""
    body = textwrap.dedent(body).strip("\n")
    if code:
        return f"```python\n{body}\n```"
    lines = body.splitlines()
    out: list[str] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        starts_code = bool(prose) and prose[-1].rstrip().endswith(":")
        end = _code_run(lines, i) if starts_code else i
        if end > i:
            out.append(_prose(prose))
            prose = []
            out.append("```python\n" + textwrap.dedent("\n".join(lines[i:end])).strip("\n") + "\n```")
            i = end
            continue
        if not line.strip():
            if prose:
                out.append(_prose(prose))
                prose = []
        else:
            prose.append(line)
        i += 1
    if prose:
        out.append(_prose(prose))
    return "\n\n".join(part for part in out if part)


def rule_markdown(rule) -> str:
    """The whole documentation of a rule (see `Rule.sections`) as Markdown."""
    text = [f"# {rule.code} `{rule.cause}` ({rule.kind.value}, default severity {rule.severity.value})", "",
            rule.title, ""]
    for heading, body in rule.sections().items():
        text += [f"## {heading}", "", section_markdown(body, code=heading == "Example"), ""]
    if rule.thresholds:
        text += ["## Thresholds", ""] + [f"- `{k}` = {v}" for k, v in rule.thresholds.items()] + [""]
    return "\n".join(text)
