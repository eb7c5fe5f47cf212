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


def test_symptoms_judge_the_loss_that_is_trained():
    """A MAML inner loss sits at its per-task constant level by design; the outer loss is the
    one backpropagated, and the one judged."""
    from tests.rules.tracebuild import LOSS_SITE, late_run, loss
    from unstuck.trace import Location
    outer_site = Location("train.py", 20, "<module>", "meta_loss.backward()")
    tr = late_run(value=1.0, baseline=1.0)  # the inner loss at the constant level, line 14
    for tick in (80, 90, 99):
        loss(tr, tick, site=outer_site, value=0.2, baseline=1.0, backprop=2)
    assert LOSS_SITE.line != outer_site.line
    assert not fires("SY002", tr)
    for c in tr.losses:
        c.backprop = 2 if c.site is LOSS_SITE else 0
    assert fires("SY002", tr)


def test_sy002_needs_batches_big_enough_for_a_fair_constant():
    th = t("SY002")
    assert fires("SY002", late_run(value=1.0, baseline=1.0, target_shape=(th.MIN_BATCH, 1)))
    assert not fires("SY002", late_run(value=1.0, baseline=1.0, target_shape=(th.MIN_BATCH - 1, 1)))
    # values, not rows: a sequence-first (time, batch) target counts every value
    assert fires("SY002", late_run(value=1.0, baseline=1.0, target_shape=(4, th.MIN_BATCH // 4)))
