"""MD001-MD002 on hand-built traces."""
from tests.rules.tracebuild import fires, judge, md001, md002, t
from unstuck.findings import Severity


def test_md001_ticks_seen():
    need = t("MD001").MIN_TICKS_SEEN
    assert fires("MD001", md001(bad_ticks=need, ticks=need + 1))
    assert not fires("MD001", md001(bad_ticks=need - 1, ticks=need + 1))


def test_md002_evaluations():
    need = t("MD002").MIN_EVALUATIONS
    assert fires("MD002", md002(evaluations=need))
    assert not fires("MD002", md002(evaluations=need - 1))


def test_md002_batchnorm_is_an_error_dropout_a_warning():
    assert judge("MD002", md002())[0][0].severity is Severity.ERROR
    assert judge("MD002", md002("Dropout"))[0][0].severity is Severity.WARNING
