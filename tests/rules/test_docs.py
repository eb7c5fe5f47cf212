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
    """Every rule's cause is in the README's rule table: the repo's own vocabulary, which
    extends the shared spec's (spec/causes.md) with the causes added since; where the spec lies
    beside the repo, every cause it names is documented in the README too."""
    import os
    codes = [r.code for r in all_rules()]
    assert len(codes) == len(set(codes))
    here = os.path.dirname(__file__)
    readme = open(os.path.join(here, "..", "..", "README.md")).read()
    rows = [line for line in readme.splitlines() if line.startswith("|")]
    for r in all_rules():
        assert any(f"`{r.cause}`" in row and r.code in row for row in rows), f"{r.code} {r.cause} not in README table"
    spec = os.path.join(here, "..", "..", CAUSES)
    if os.path.exists(spec):
        import re
        named = re.findall(r"^\| `([a-z0-9-]+)` \|", open(spec).read(), flags=re.M)
        assert named and [c for c in named if f"`{c}`" not in readme] == []  # every spec cause documented


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
