"""LR001-LR003 on hand-built traces."""
from tests.rules.tracebuild import fires, lr001, lr002, lr003, skipped, t


def test_lr001_update_ratio_and_divergence():
    th = t("LR001")
    assert fires("LR001", lr001(ratio=th.HIGH_UPDATE_RATIO * 1.01))
    assert not fires("LR001", lr001(ratio=th.HIGH_UPDATE_RATIO))
    assert fires("LR001", lr001(late=th.DIVERGED))
    assert not fires("LR001", lr001(late=th.DIVERGED * 0.99))


def test_lr001_judged_steps():
    need = t("LR001").MIN_JUDGED_STEPS
    assert fires("LR001", lr001(judged=need))
    assert skipped("LR001", lr001(judged=need - 1)) == f"saw {need - 1} judged steps, needs {need}"


def test_lr001_needs_steps():
    tr = lr001()
    tr.ticks = t("LR001").MIN_STEPS - 1
    assert skipped("LR001", tr) == f"saw {tr.ticks} training steps, needs {t('LR001').MIN_STEPS}"


def test_lr002_update_ratio_and_warmup():
    th = t("LR002")
    assert fires("LR002", lr002(ratio=th.LOW_UPDATE_RATIO * 0.99))
    assert not fires("LR002", lr002(ratio=th.LOW_UPDATE_RATIO))
    warm = lr002()
    warm.optimizers[0].lrs = [1e-3] * 10 + [1e-3 * th.WARMUP_GROWTH * 1.01]
    assert not fires("LR002", warm)
    warm.optimizers[0].lrs = [1e-3] * 10 + [1e-3 * th.WARMUP_GROWTH * 0.99]
    assert fires("LR002", warm)
    assert skipped("LR002", lr002(judged=th.MIN_JUDGED_STEPS - 1))


def test_lr002_judged_steps_need_most_gradients():
    share = t("LR002").JUDGED_GRAD_SHARE
    tr = lr002()
    for s in tr.steps:
        s.no_grad_elems = int(share * s.elems)  # not fewer than the share: not judged
    assert skipped("LR002", tr)


def test_lr003_factor_and_share():
    th = t("LR003")
    assert fires("LR003", lr003(factor=th.COLLAPSE_FACTOR * 0.99))
    assert not fires("LR003", lr003(factor=th.COLLAPSE_FACTOR * 1.01))
    assert fires("LR003", lr003(collapsed_share=th.COLLAPSE_SHARE))
    assert not fires("LR003", lr003(collapsed_share=th.COLLAPSE_SHARE - 0.02))
