"""Loss rules (LS002-LS006) on hand-built traces: both sides of every threshold."""
from tests.rules.tracebuild import fires, judge, ls002, ls003, ls004, ls005, ls006, skipped, t

from unstuck.findings import Severity


def test_ls002_min_calls():
    need = t("LS002").MIN_CALLS
    assert fires("LS002", ls002(n=need))
    assert skipped("LS002", ls002(n=need - 1)) == f"saw {need - 1} sampled training calls of `cross_entropy`, needs {need}"


def test_ls002_row_sum_tolerance():
    tol = t("LS002").ROW_SUM_TOL
    assert fires("LS002", ls002(row_sum_error=tol * 0.99))
    assert not fires("LS002", ls002(row_sum_error=tol * 1.01))


def test_ls002_negative_tolerance():
    tol = t("LS002").PROB_NEGATIVE_TOL
    assert fires("LS002", ls002(pred_min=-tol * 0.99))
    assert not fires("LS002", ls002(pred_min=-tol * 1.01))


def test_ls002_log_probabilities_are_info_only():
    tr = ls002(row_sum_error=5.0, pred_min=-3.0)
    for c in tr.losses:
        c.pred_max, c.row_exp_sum_error = -0.1, t("LS002").ROW_SUM_TOL / 2
    findings, _, _ = judge("LS002", tr)
    assert [f.severity for f in findings] == [Severity.INFO]


def test_ls003_min_calls_and_batch():
    th = t("LS003")
    assert fires("LS003", ls003(n=th.MIN_CALLS, batch=th.MIN_BATCH_IN_UNIT))
    assert not fires("LS003", ls003(batch=th.MIN_BATCH_IN_UNIT - 1))
    assert skipped("LS003", ls003(n=th.MIN_CALLS - 1))


def test_ls004_log_probability_tolerance():
    tol = t("LS004").LOGPROB_POSITIVE_TOL
    assert fires("LS004", ls004(pred_max=tol * 1.01))  # a value above 0: not log-probabilities
    assert not fires("LS004", ls004(pred_max=tol * 0.99))
    assert skipped("LS004", ls004(n=t("LS004").MIN_CALLS - 1))


def test_ls005_min_calls():
    need = t("LS005").MIN_CALLS
    assert fires("LS005", ls005(n=need))
    assert not fires("LS005", ls005(n=need - 1))


def test_ls006_outside_share():
    th = t("LS006")
    assert fires("LS006", ls006(share=th.OUTSIDE_SHARE))
    assert not fires("LS006", ls006(share=th.OUTSIDE_SHARE * 0.99))
    assert not fires("LS006", ls006(n=th.MIN_CALLS - 1))
