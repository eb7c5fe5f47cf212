"""CK001-CK004 on hand-built traces (a checkup's results, no experiment run)."""
from tests.rules.tracebuild import ck001, ck002, ck003, ck004, fires, t, training_run


def test_ck001_fit_and_few_samples():
    th = t("CK001")
    assert fires("CK001", ck001(fit=th.FIT_R2 - 0.01))
    assert not fires("CK001", ck001(fit=th.FIT_R2))
    assert not fires("CK001", ck001(samples=th.FEW_SAMPLES + 1))


def test_ck002_margin_over_the_constant():
    margin = t("CK002").LEARNABLE_R2
    assert fires("CK002", ck002(best=margin))
    assert not fires("CK002", ck002(best=margin + 0.01))


def test_ck003_gap_and_error_ratio():
    th = t("CK003")
    assert fires("CK003", ck003(gap=th.BELOW_GAP_R2 + 0.01, best=0.9))
    assert not fires("CK003", ck003(gap=th.BELOW_GAP_R2 - 0.01, best=0.9))
    # a gap, but the network's error is not BELOW_ERROR_RATIO times the baseline's
    best = 0.5
    gap = (th.BELOW_ERROR_RATIO - 1) * (1 - best) * 0.9
    assert gap > th.BELOW_GAP_R2
    assert not fires("CK003", ck003(gap=gap, best=best))


def test_ck004_nonfinite_table():
    assert fires("CK004", ck004())
    assert not fires("CK004", training_run())  # not under checkup: skipped


def test_a_model_without_hidden_units_is_capacity_not_a_bug():
    from tests.rules.tracebuild import judge
    linear = ck001()
    linear.checkup.weight_layers = 1
    assert not fires("CK001", linear)
    assert fires("CK001", ck001())  # weight_layers unknown: judged as before
    gap = ck003()
    gap.checkup.weight_layers = 1
    findings, _, _ = judge("CK003", gap)
    assert findings and findings[0].kind.value == "cause" and "no hidden layer" in findings[0].message
