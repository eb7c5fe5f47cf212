import pytest

from unstuck.cli import main
from unstuck.rules import all_rules, lookup, select
from unstuck.rules.base import DOC_SECTIONS

CAUSES = "../shared/spec/causes.md"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_is_documented(rule):
    sections = rule.sections()
    for heading in DOC_SECTIONS:
        assert sections.get(heading, "").strip(), f"{rule.code} lacks '{heading}'"


def test_codes_and_causes_are_unique_and_known():
    import os
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes))
    spec = os.path.join(os.path.dirname(__file__), "..", "..", CAUSES)
    if os.path.exists(spec):
        text = open(spec).read()
        for r in all_rules():
            assert f"`{r.cause}`" in text, r.cause


def test_select_by_prefix_code_and_cause():
    assert {r.code for r in lookup("GF")} >= {"GF001", "GF002", "GF003"}
    assert [r.code for r in lookup("loss-broadcast")] == ["LS001"]
    chosen = select(["GF", "loss-broadcast"], ["GF002"])
    assert {r.code for r in chosen} == {"GF001", "GF003", "LS001"}


def test_explain_prints_the_sections(capsys):
    assert main(["explain", "loss-broadcast"]) == 0
    out = capsys.readouterr().out
    for heading in DOC_SECTIONS:
        assert heading in out
    assert main(["explain", "NOPE"]) == 2
