"""Every deciding number of a rule is declared once, in its thresholds.

The detect function of each rule, and the rule-module helpers it calls (transitively), are
parsed with `ast` and must not contain:
- a numeric literal, except the trivial ones in EXEMPT_NUMBERS (-1, 0, 1, 2 as counts,
  indices and "no data" guards; 0.0 and 1.0) and the `confidence=` of a finding (a ranking
  weight, not a verdict);
- an UPPER_CASE module constant bound to a number, except the presentation limits of
  `unstuck.rules.base` (how many names a message lists): the code reads `t.NAME` from
  `self.thresholds` instead.
Every `t.NAME` read must be declared, every declared threshold must be read (by the code or by
a `needs_steps("NAME")` requirement), and the docstring names thresholds only as `{NAME}`
placeholders, never by value.
"""
from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types

import pytest

from unstuck.rules import all_rules
from unstuck.rules import base
from unstuck.rules.base import PLACEHOLDER, Thresholds

EXEMPT_NUMBERS = {-1, 0, 1, 2}
PRESENTATION = {"SHOWN_NAMES", "KEPT_NAMES"}
UPPER = re.compile(r"^[A-Z][A-Z0-9_]+$")


def _function_node(fn) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _closure(fn) -> list[types.FunctionType]:
    """fn and the functions of unstuck.rules modules it names, transitively."""
    seen: dict[str, types.FunctionType] = {}
    todo = [fn]
    while todo:
        f = todo.pop()
        key = f"{f.__module__}.{f.__qualname__}"
        if key in seen:
            continue
        seen[key] = f
        for node in ast.walk(_function_node(f)):
            if isinstance(node, ast.Name):
                g = f.__globals__.get(node.id)
                if isinstance(g, types.FunctionType) and g.__module__.startswith("unstuck.rules"):
                    todo.append(g)
    return list(seen.values())


def _body_nodes(node: ast.FunctionDef):
    """Every node of the function except its decorators and docstring."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    parts = body + node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    for part in parts:
        yield from ast.walk(part)


def _audit(fn) -> tuple[list[str], set[str]]:
    """(problems, threshold names read as attributes) for one function."""
    problems: list[str] = []
    read: set[str] = set()
    node = _function_node(fn)
    confidence = {id(kw.value) for n in _body_nodes(node) if isinstance(n, ast.Call)
                  for kw in n.keywords if kw.arg == "confidence"}
    for n in _body_nodes(node):
        if isinstance(n, ast.Constant) and type(n.value) in (int, float):
            if n.value not in EXEMPT_NUMBERS and id(n) not in confidence:
                problems.append(f"{fn.__name__}: numeric literal {n.value!r} at line {n.lineno}")
        elif isinstance(n, ast.Name) and UPPER.match(n.id) and n.id not in PRESENTATION:
            value = fn.__globals__.get(n.id)
            if type(value) in (int, float):
                problems.append(f"{fn.__name__}: reads module constant {n.id} instead of its threshold")
        elif (isinstance(n, ast.Attribute) and UPPER.match(n.attr)
              and not (isinstance(n.value, ast.Name) and n.value.id in fn.__globals__)):  # Severity.ERROR
            read.add(n.attr)
    return problems, read


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_code_reads_only_declared_thresholds(rule):
    problems: list[str] = []
    read: set[str] = set()
    for fn in _closure(rule.detect):
        p, r = _audit(fn)
        problems += p
        read |= r
    declared = set(rule.thresholds)
    problems += [f"reads undeclared threshold {name}" for name in sorted(read - declared)]
    by_requirement = {getattr(q, "threshold", None) for q in rule.requires}
    problems += [f"declares {name} but never reads it" for name in sorted(declared - read - by_requirement)]
    assert not problems, f"{rule.code}: " + "; ".join(problems)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_docstring_names_thresholds_by_placeholder(rule):
    raw = inspect.cleandoc(rule.detect.__doc__ or "")
    unknown = {m.group(1) for m in PLACEHOLDER.finditer(raw)} - set(rule.thresholds)
    assert not unknown, f"{rule.code} docstring names unknown thresholds {unknown}"
    assert not PLACEHOLDER.search(rule.doc) or not {m.group(1) for m in PLACEHOLDER.finditer(rule.doc)} & set(
        rule.thresholds), "placeholders left unfilled"
    detects = raw.split("Why it stops learning:")[0]
    for name, value in rule.thresholds.items():
        forms = set()
        if value not in EXEMPT_NUMBERS:
            forms.add(format(value, "g"))
        if 0 < value < 1:
            forms.add(format(value, ".0%"))
            if value < 0.1 and (1 / value).is_integer():  # "1e-3" written as "1000 times"
                forms |= {format(1 / value, ".0f"), format(1 / value, ",.0f")}
        for form in forms:
            assert not re.search(rf"(?<![\w.{{^-]){re.escape(form)}(?![\w{{}}]|\.\d)", detects), (
                f"{rule.code} docstring hard-codes {name}={value} as {form!r}: write {{{name}}}")


def test_thresholds_are_read_only_and_printed(capsys):
    t = Thresholds({"A_LIMIT": 3})
    assert t.A_LIMIT == 3 and t["A_LIMIT"] == 3 and dict(t) == {"A_LIMIT": 3}
    with pytest.raises(AttributeError):
        t.A_LIMIT = 4
    with pytest.raises(TypeError):
        t["A_LIMIT"] = 4  # type: ignore[index]
    with pytest.raises(AttributeError):
        t.MISSING  # noqa: B018
    from unstuck.cli import main
    assert main(["explain", "LR001"]) == 0
    out = capsys.readouterr().out
    for name in base.REGISTRY["LR001"].thresholds:
        assert name in out


def test_docs_fill_placeholders_with_values():
    assert base.fill_thresholds("below {X_MAX} and {X_SHARE:.0%}, {UNKNOWN}", {"X_MAX": 1e-3, "X_SHARE": 0.05}) == \
        "below 0.001 and 5%, {UNKNOWN}"


def test_steps_requirement_reads_its_threshold():
    from unstuck.trace import Trace
    lr = base.REGISTRY["LR001"]
    req = next(q for q in lr.requires if getattr(q, "threshold", None))
    assert req.threshold == "MIN_STEPS"
    trace = Trace(script="train.py")
    trace.ticks = int(lr.thresholds.MIN_STEPS) - 1
    assert req(trace) == f"saw {trace.ticks} training steps, needs {lr.thresholds.MIN_STEPS}"
    trace.ticks += 1
    assert req(trace) is None


BAD_LIMIT = 7


def _bad_detect(self, trace):
    t = self.thresholds
    if len(trace.steps) > BAD_LIMIT and trace.ticks > 5:
        return [self.finding("m", None, "f", confidence=0.9, limit=t.UNDECLARED)]
    return []


def test_the_audit_catches_literals_constants_and_names():
    problems, read = _audit(_bad_detect)
    assert any("literal 5" in p for p in problems)
    assert any("BAD_LIMIT" in p for p in problems)
    assert not any("0.9" in p for p in problems)  # a confidence is not a threshold
    assert read == {"UNDECLARED"}
