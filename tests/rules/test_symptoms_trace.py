"""SY001-SY002 on hand-built traces."""
from tests.rules.tracebuild import fires, late_run, skipped, sy001, sy002, t


def test_sy001_spread_ratio():
    ratio = t("SY001").COLLAPSE_STD_RATIO
    assert fires("SY001", sy001(pred_std=ratio * 0.99))
    assert not fires("SY001", sy001(pred_std=ratio))


def test_sy001_one_class():
    th = t("SY001")
    assert fires("SY001", late_run(majority_fraction=th.ONE_CLASS_SHARE, target_majority=th.MIXED_TARGETS))
    assert not fires("SY001", late_run(majority_fraction=th.ONE_CLASS_SHARE - 0.01, target_majority=0.5))
    assert not fires("SY001", late_run(majority_fraction=1.0, target_majority=th.MIXED_TARGETS + 0.01))


def test_sy001_needs_ticks_and_late_samples():
    th = t("SY001")
    tr = sy001()
    tr.ticks = th.MIN_TICKS - 1
    assert skipped("SY001", tr)
    early = sy001()
    early.ticks = int(early.losses[0].tick * th.LATE_START_DIVISOR) + 1  # the calls are no longer late
    assert not fires("SY001", early)


def test_sy002_plateau_ratio():
    th = t("SY002")
    assert fires("SY002", sy002(value=th.PLATEAU_RATIO))
    assert not fires("SY002", sy002(value=th.PLATEAU_RATIO * 0.99))
    tr = sy002()
    for c in tr.losses:
        c.floor = c.baseline * (1 - th.MIN_BASELINE_EXCESS * 0.99)  # a constant is as good as perfect
    assert not fires("SY002", tr)
