"""LR001-LR003 on hand-built traces."""
from tests.rules.tracebuild import (BACKWARD_SITE, STEP_SITE, backward, base, fires, judge, lr001, lr002, lr003,
                                   skipped, step, t, training_run, with_model)

from unstuck.trace import Event, Location, OptimizerRecord, Trace


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
    late = 1 - th.EARLY_CUT_SHARE * 2  # a cut after the early window: only the collapse factor counts
    assert fires("LR003", lr003(factor=th.COLLAPSE_FACTOR * 0.99, collapsed_share=late))
    assert not fires("LR003", lr003(factor=th.COLLAPSE_FACTOR * 1.01, collapsed_share=late))
    assert fires("LR003", lr003(collapsed_share=th.COLLAPSE_SHARE))
    assert not fires("LR003", lr003(collapsed_share=th.COLLAPSE_SHARE - 0.02))


def test_lr003_an_early_cut_that_never_comes_back():
    th = t("LR003")
    n, factor = th.MIN_EARLY_CUT_STEPS * 2, th.EARLY_CUT_FACTOR * 0.9  # far above COLLAPSE_FACTOR
    assert fires("LR003", lr003(factor=factor, collapsed_share=1 - th.EARLY_CUT_SHARE, n=n))
    assert not fires("LR003", lr003(factor=factor, collapsed_share=1 - th.EARLY_CUT_SHARE - 0.02, n=n))  # later
    assert not fires("LR003", lr003(factor=th.EARLY_CUT_FACTOR * 1.1, collapsed_share=0.95, n=n))  # smaller cut
    assert not fires("LR003", lr003(factor=factor, collapsed_share=0.95, n=th.MIN_EARLY_CUT_STEPS - 1))  # short run
    assert not fires("LR003", lr003(factor=factor, collapsed_share=0.95, n=n, after=[1e-2]))  # a warm restart


def test_lr003_an_early_cut_needs_a_step_schedules_cut():
    th = t("LR003")
    n = th.MIN_EARLY_CUT_STEPS * 10
    one_over_t = training_run()
    one_over_t.optimizers[0].lrs = [2.0 / (1 + i) for i in range(n)]  # Robbins-Monro: smooth, 100x by step 99
    assert not fires("LR003", one_over_t)
    from_zero = training_run()  # a warm-up from 0, then epoch milestones passed per batch
    from_zero.optimizers[0].lrs = [1e-3 * i / 10 for i in range(10)] + [1e-3] * 10 + [1e-4] * 10 + [1e-5] * (n - 30)
    assert fires("LR003", from_zero)


D_SITE = Location("gan.py", 20, "<module>", "opt_d = torch.optim.Adam(D.parameters(), lr=0.5)")
G_SITE = Location("gan.py", 21, "<module>", "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)")


def two_optimizers(d_ratio: float, d_losses: list[float], g_ratio: float, g_losses: list[float]) -> Trace:
    """A GAN's loop: D's loss backward, D's step; G's loss backward, G's step; one tick per step.
    Optimizer 0 (D) holds parameters 1-4, optimizer 1 (G) parameters 5-6."""
    tr = with_model(base(100), layers=3)
    tr.optimizers[0] = OptimizerRecord(0, "Adam", D_SITE, (1, 2, 3, 4), steps=50, lrs=[0.5] * 50, initial_lr=0.5)
    tr.optimizers[1] = OptimizerRecord(1, "Adam", G_SITE, (5, 6), steps=50, lrs=[2e-4] * 50, initial_lr=2e-4)
    tick = 0
    for d_loss, g_loss in zip(d_losses, g_losses):
        for key, ratio, value in ((0, d_ratio, d_loss), (1, g_ratio, g_loss)):
            tr.events.append(Event("backward", tick, None, False, BACKWARD_SITE))
            backward(tr, tick, value=value)
            tr.events.append(Event("step", tick, key, False, STEP_SITE))
            step(tr, tick, opt=key, update_ratio=ratio)
            tick += 1
    tr.backward_calls = tr.step_calls = 100
    return tr


FALLING = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3]
RISING = [0.7, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3.0, 3.3]


def test_lr001_judges_each_optimizer_on_its_own_steps_and_losses():
    high = t("LR001").HIGH_UPDATE_RATIO * 4
    # Healthy: D moves a lot and its loss falls; G moves little and its loss rises (D wins for
    # a while). Pooled, the median update and the mixed losses look like one diverging run.
    assert not fires("LR001", two_optimizers(high, FALLING, 1e-3, RISING))
    # Broken: D's lr is too high (big steps, its loss diverges), G is fine.
    findings, _, _ = judge("LR001", two_optimizers(high, RISING, 1e-3, FALLING))
    assert [f.location for f in findings] == [D_SITE]
    assert "lr=0.5" in findings[0].message


def test_lr002_judges_each_optimizer_on_its_own_steps_and_losses():
    low = t("LR002").LOW_UPDATE_RATIO / 100
    flat = [1.0] * 10
    findings, _, _ = judge("LR002", two_optimizers(1e-3, flat, low, flat))
    assert [f.location for f in findings] == [G_SITE]
    # G's loss falls well: its optimizer is not judged too slow, whatever D's loss does
    assert not fires("LR002", two_optimizers(1e-3, flat, low, FALLING))
