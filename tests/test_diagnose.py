"""Ranking: root causes first, the findings they explain after them, symptoms last."""
from unstuck.diagnose import rank
from unstuck.findings import Finding, Kind, Severity
from unstuck.rules import REGISTRY


def finding(code: str, severity: Severity | None = None) -> Finding:
    r = REGISTRY[code]
    return Finding(rule=code, cause=r.cause, kind=r.kind, severity=severity or r.severity, title=r.title,
                   message="", location=None)


def order(*codes):
    ranked = rank([finding(c) for c in codes], REGISTRY)
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
    ranked = rank([finding("DT001"), finding("LS001")], REGISTRY)
    assert [f.cause for f in ranked] == ["loss-broadcast", "unscaled-inputs"]
    assert all(f.kind is Kind.CAUSE for f in ranked)
