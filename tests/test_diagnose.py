"""Ranking and causal folding: root causes first, the findings that follow from them carry
`caused_by` and come after them, symptoms last; independent causes both stand."""
import graphlib
import itertools

import pytest

from unstuck.diagnose import consequences, rank, roots_of
from unstuck.findings import Finding, Kind, Severity
from unstuck.rules import REGISTRY, all_rules

BY_CAUSE = {}
for _r in all_rules():
    BY_CAUSE.setdefault(_r.cause, _r)


def finding(key: str, severity: Severity | None = None) -> Finding:
    r = REGISTRY[key] if key in REGISTRY else BY_CAUSE[key]
    return Finding(rule=r.code, cause=r.cause, kind=r.kind, severity=severity or r.severity, title=r.title,
                   message="", location=None, fix=f"fix for {r.cause}")


def order(*keys):
    ranked = rank([finding(k) for k in keys])
    return [f.cause for f in ranked], {f.cause: f.explains for f in ranked}


def test_lr_too_high_before_exploding_and_nonfinite():
    causes, explains = order("NF002", "IN003", "LR001")
    assert causes == ["lr-too-high", "exploding-gradients", "nonfinite-values"]
    assert set(explains["lr-too-high"]) == {"exploding-gradients", "nonfinite-values"}


def test_unscaled_targets_before_plateau_even_below_an_error():
    causes, explains = order("SY002", "LR002", "DT002")
    assert causes[0] == "unscaled-targets"
    assert causes[-1] == "loss-plateau"
    assert set(explains["unscaled-targets"]) == {"loss-plateau", "lr-too-low"}


def test_output_range_mismatch_before_dead_relu():
    causes, _ = order("IN004", "LS006")
    assert causes == ["output-range-mismatch", "dead-relu"]


def test_independent_causes_rank_by_severity_then_confidence():
    ranked = rank([finding("DT001"), finding("LS001")])
    assert [f.cause for f in ranked] == ["loss-broadcast", "unscaled-inputs"]
    assert all(f.kind is Kind.CAUSE for f in ranked)
    assert all(f.caused_by == () for f in ranked)


# Pairs a user meets together, written out by hand (not read from the table): the first is
# the mistake to fix, the second follows from it.
FOLLOWS = [
    ("missing-zero-grad", "lr-too-high"), ("missing-zero-grad", "exploding-gradients"),
    ("missing-zero-grad", "nonfinite-values"), ("missing-zero-grad", "loss-plateau"),
    ("missing-zero-grad", "dead-relu"),
    ("eval-mode-training", "exploding-gradients"), ("eval-mode-training", "lr-too-high"),
    ("eval-mode-training", "loss-plateau"),
    ("lr-too-high", "exploding-gradients"), ("lr-too-high", "dead-relu"), ("lr-too-high", "nonfinite-values"),
    ("lr-too-high", "loss-plateau"), ("lr-too-high", "prediction-collapse"),
    ("unscaled-targets", "exploding-gradients"), ("unscaled-targets", "dead-relu"),
    ("unscaled-targets", "lr-too-high"), ("unscaled-targets", "lr-too-low"), ("unscaled-targets", "loss-plateau"),
    ("unscaled-inputs", "vanishing-gradients"), ("unscaled-inputs", "exploding-gradients"),
    ("unscaled-inputs", "lr-too-high"), ("unscaled-inputs", "dead-relu"),
    ("output-range-mismatch", "vanishing-gradients"), ("output-range-mismatch", "dead-relu"),
    ("output-range-mismatch", "unscaled-targets"), ("output-range-mismatch", "prediction-collapse"),
    ("loss-broadcast", "prediction-collapse"), ("loss-broadcast", "lr-too-high"),
    ("loss-broadcast", "exploding-gradients"), ("loss-broadcast", "loss-plateau"),
    ("double-softmax", "vanishing-gradients"), ("double-softmax", "lr-too-low"), ("double-softmax", "loss-plateau"),
    ("double-sigmoid", "vanishing-gradients"), ("double-sigmoid", "prediction-collapse"),
    ("nll-without-log-softmax", "exploding-gradients"), ("nll-without-log-softmax", "nonfinite-values"),
    ("softmax-wrong-dim", "nll-without-log-softmax"), ("softmax-wrong-dim", "loss-plateau"),
    ("detached-graph", "zero-grad-misplaced"), ("detached-graph", "lr-too-low"),
    ("detached-graph", "prediction-collapse"),
    ("frozen-params", "lr-too-low"), ("frozen-params", "loss-plateau"),
    ("params-not-optimized", "loss-plateau"),
    ("zero-grad-misplaced", "optimizer-step-missing"), ("zero-grad-misplaced", "lr-too-low"),
    ("optimizer-step-missing", "lr-too-low"), ("optimizer-step-missing", "prediction-collapse"),
    ("lr-schedule-collapse", "lr-too-low"), ("lr-schedule-collapse", "loss-plateau"),
    ("symmetric-init", "dead-relu"), ("symmetric-init", "vanishing-gradients"),
    ("symmetric-init", "input-ignored"),
    ("zero-second-derivative", "vanishing-gradients"),
    ("data-nonfinite", "nonfinite-values"), ("data-nonfinite", "exploding-gradients"),
    ("exploding-gradients", "nonfinite-values"), ("exploding-gradients", "dead-relu"),
    ("dead-relu", "vanishing-gradients"), ("dead-relu", "input-ignored"),
    ("vanishing-gradients", "lr-too-low"), ("vanishing-gradients", "loss-plateau"),
    ("input-ignored", "prediction-collapse"), ("lr-too-low", "loss-plateau"),
    ("prediction-collapse", "loss-plateau"),
]


@pytest.mark.parametrize("root,consequence", FOLLOWS, ids=[f"{a}->{b}" for a, b in FOLLOWS])
def test_consequence_is_folded_under_its_root(root, consequence):
    ranked = rank([finding(consequence), finding(root)])
    assert [f.cause for f in ranked] == [root, consequence]
    first, second = ranked
    assert first.caused_by == () and consequence in first.explains
    assert second.caused_by == (root,)
    assert roots_of(second, ranked) == [first]


def test_the_relation_is_acyclic_over_every_rule():
    graph = {r.cause: set(consequences(r.cause)) for r in all_rules()}
    list(graph and graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle


def test_consequences_are_the_union_of_each_causes_rules_explains():
    """A rule's `explains` is the one declaration of the links; a cause reported by several
    rules gets what any of them declares."""
    for r in all_rules():
        assert set(r.explains) - {r.cause} <= consequences(r.cause)
    for cause in BY_CAUSE:
        declared = set().union(*(r.explains for r in all_rules() if r.cause == cause)) - {cause}
        assert consequences(cause) == declared
    assert consequences("no-such-cause") == frozenset()


def _pairs():
    causes = sorted(BY_CAUSE)
    return list(itertools.combinations(causes, 2))


@pytest.mark.parametrize("a,b", _pairs())
def test_every_pair_of_reportable_causes_folds_one_way_or_stands_apart(a, b):
    """Any two findings the rules can produce together: at most one follows from the other,
    the order does not depend on the order the rules ran in, and a root comes first."""
    forward = rank([finding(a), finding(b)])
    backward = rank([finding(b), finding(a)])
    assert [f.cause for f in forward] == [f.cause for f in backward]
    followers = [f for f in forward if f.caused_by]
    assert len(followers) <= 1
    if followers:
        assert forward[0].caused_by == () and forward[1] is followers[0]


def test_chain_points_every_consequence_at_its_root():
    ranked = rank([finding("nonfinite-values"), finding("exploding-gradients"), finding("lr-too-high"),
                   finding("missing-zero-grad"), finding("loss-plateau")])
    assert ranked[0].cause == "missing-zero-grad" and ranked[0].caused_by == ()
    for f in ranked[1:]:
        assert f.caused_by, f.cause
        assert roots_of(f, ranked) == [ranked[0]]
    by = {f.cause: f.caused_by for f in ranked}
    assert set(by["exploding-gradients"]) == {"missing-zero-grad", "lr-too-high"}
    # a consequence never comes before what it follows from
    seen = set()
    for f in ranked:
        assert set(f.caused_by) <= seen
        seen.add(f.cause)


def test_independent_root_causes_both_stand():
    ranked = rank([finding("loss-plateau"), finding("missing-zero-grad"), finding("loss-broadcast")])
    roots = [f.cause for f in ranked if not f.caused_by]
    assert set(roots) == {"missing-zero-grad", "loss-broadcast"}
    plateau = ranked[-1]
    assert plateau.cause == "loss-plateau" and set(plateau.caused_by) == {"missing-zero-grad", "loss-broadcast"}


def test_info_findings_explain_nothing():
    ranked = rank([finding("loss-plateau"), finding("double-softmax", Severity.INFO)])
    assert all(f.caused_by == () for f in ranked)
    assert all(f.explains == () for f in ranked)


def test_json_carries_caused_by_and_root_has_empty_list():
    ranked = rank([finding("exploding-gradients"), finding("eval-mode-training")])
    out = [f.to_json() for f in ranked]
    assert out[0]["cause"] == "eval-mode-training" and out[0]["caused_by"] == []
    assert out[1]["caused_by"] == ["eval-mode-training"]


def test_a_consequence_takes_its_root_causes_fix():
    ranked = rank([finding("lr-too-high"), finding("missing-zero-grad")])
    assert ranked[1].cause == "lr-too-high"
    assert ranked[1].fix.startswith("This follows from `missing-zero-grad`")
    assert "fix for missing-zero-grad" in ranked[1].fix and "fix for lr-too-high" not in ranked[1].fix
    assert ranked[0].fix == "fix for missing-zero-grad"
