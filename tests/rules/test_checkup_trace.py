"""CK001-CK005 on hand-built traces (a checkup's results, no experiment run)."""
from tests.rules.tracebuild import ck001, ck002, ck003, ck004, ck005, fires, t, training_run


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


def test_ck005_needs_both_nothing_learnable_and_the_pairing_evidence():
    th = t("CK005")
    n = th.MIN_RESEEN
    share = th.RELABELLED_SHARE
    assert fires("CK005", ck005(reseen=n, relabelled=int(share * n + 0.999)))
    assert not fires("CK005", ck005(reseen=n, relabelled=int(share * n) - 1))
    assert not fires("CK005", ck005(reseen=n - 1, relabelled=n - 1))
    # two balanced classes: a random re-pairing changes only half the labels
    assert fires("CK005", ck005(reseen=n, relabelled=int(share * 0.5 * n + 0.999), chance=0.5))
    assert not fires("CK005", ck005(reseen=n, relabelled=int(share * 0.5 * n) - 1, chance=0.5))
    # something learns the labels: relabelled inputs are augmentation, not a broken pairing
    assert not fires("CK005", ck005(best=t("CK002").LEARNABLE_R2 + 0.01))
    # labels arriving sorted are a hint in not-learnable's message, not this cause
    from tests.rules.tracebuild import judge
    b = t("CK002").SORTED_MIN_BATCHES
    assert not fires("CK005", ck005(reseen=0, relabelled=0, batches=b, sorted_batches=b))
    findings, _, _ = judge("CK002", ck005(reseen=0, relabelled=0, batches=b, sorted_batches=b))
    assert f"arrive sorted in {b} of {b} watched batches" in findings[0].message
    findings, _, _ = judge("CK002", ck005(reseen=0, relabelled=0, batches=b - 1, sorted_batches=b - 1))
    assert "sorted in" not in findings[0].message


def test_ck005_explains_not_learnable():
    from unstuck.diagnose import diagnose
    report = diagnose(ck005(), select_=["CK002", "CK005"])
    root = [f for f in report.findings if not f.caused_by]
    assert [f.cause for f in root] == ["label-misalignment"]
    assert any(f.cause == "not-learnable" and f.caused_by for f in report.findings)
