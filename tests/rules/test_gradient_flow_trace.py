"""GF001-GF003 on hand-built traces."""
from tests.rules.tracebuild import fires, gf001, gf002, gf003, judge, t

from unstuck.findings import Severity


def test_gf001_passes():
    need = t("GF001").MIN_UNOPTIMIZED_PASSES
    assert fires("GF001", gf001(passes=need))
    assert not fires("GF001", gf001(passes=need - 1))


def test_gf002_frozen_share():
    share = t("GF002").FROZEN_SHARE
    assert fires("GF002", gf002(frozen_share=share + 0.01))
    assert not fires("GF002", gf002(frozen_share=share - 0.01))
    assert not fires("GF002", gf002(matrices=1))  # a trainable head left: a frozen backbone


def test_gf003_unreached_steps_and_severity():
    th = t("GF003")
    assert fires("GF003", gf003(unreached_steps=th.MIN_UNREACHED_STEPS))
    assert not fires("GF003", gf003(unreached_steps=th.MIN_UNREACHED_STEPS - 1))
    [f] = judge("GF003", gf003(share=th.UNREACHED_ERROR_SHARE + 0.05))[0]
    assert f.severity is Severity.ERROR
    [f] = judge("GF003", gf003(share=th.UNREACHED_ERROR_SHARE - 0.05))[0]
    assert f.severity is Severity.WARNING
