"""IN001-IN005 on hand-built traces."""
from tests.rules.tracebuild import fires, in001, in002, in003, in004, in005, layered, t


def test_in001_needs_a_next_layer_that_cannot_tell_units_apart():
    assert fires("IN001", in001())
    assert not fires("IN001", in001(next_symmetric=False))


def test_in002_ratio_and_layers():
    th = t("IN002")
    assert fires("IN002", in002(ratio=th.VANISHING_RATIO * 0.99))
    assert not fires("IN002", in002(ratio=th.VANISHING_RATIO))
    assert not fires("IN002", in002(layers=th.MIN_LAYERS - 1))


def test_in003_init_growth_and_layers():
    th = t("IN003")
    assert fires("IN003", in003(init_ratio=th.EXPLODING_AT_INIT * 1.01))
    assert not fires("IN003", in003(init_ratio=th.EXPLODING_AT_INIT * 0.99))
    grown = layered(1.0)
    for s in grown.steps[th.START_STEPS:]:
        s.grad_norm = th.EXPLODING_GROWTH * 1.01
    assert fires("IN003", grown)
    for s in grown.steps[th.START_STEPS:]:
        s.grad_norm = th.EXPLODING_GROWTH * 0.99
    assert not fires("IN003", grown)
    assert fires("IN003", layered(th.EXPLODING_LAYER_RATIO * 1.01))
    assert not fires("IN003", layered(th.EXPLODING_LAYER_RATIO * 0.99))


def test_in004_dead_fraction_units_batch_and_steps():
    th = t("IN004")
    assert fires("IN004", in004(dead=th.DEAD_FRACTION))
    assert not fires("IN004", in004(dead=th.DEAD_FRACTION - 0.01))
    assert not fires("IN004", in004(units=th.MIN_UNITS - 1))
    assert fires("IN004", in004(batch=th.MIN_BATCH))
    assert not fires("IN004", in004(batch=th.MIN_BATCH - 1, dead=th.DEAD_FRACTION))
    # a smaller batch counts when the whole layer is dead on every one of WHOLE_DEAD_STEPS steps or more
    whole = th.WHOLE_DEAD_STEPS
    assert fires("IN004", in004(batch=2, dead=1.0, dead_steps=whole, steps=whole))
    assert not fires("IN004", in004(batch=2, dead=1.0, dead_steps=whole - 1, steps=whole - 1))
    assert not fires("IN004", in004(batch=2, dead=1.0, dead_steps=whole, steps=whole + 1))
    assert not fires("IN004", in004(batch=1, dead=1.0))
    steps = 10
    need = round(th.DEAD_SHARE_OF_STEPS * steps)
    assert fires("IN004", in004(dead_steps=need, steps=steps))
    assert not fires("IN004", in004(dead_steps=need - 1, steps=steps))


def test_in004_ignores_evaluation_passes():
    tr = in004()
    for a in tr.activations:
        a.training = False
    assert not fires("IN004", tr)


def test_in005_zero_derivative_ticks_and_share():
    th = t("IN005")
    assert fires("IN005", in005(zero_ticks=th.ZERO_MIN_TICKS, ticks=th.ZERO_MIN_TICKS))
    assert not fires("IN005", in005(zero_ticks=th.ZERO_MIN_TICKS - 1, ticks=th.ZERO_MIN_TICKS - 1))
    n = 10
    need = round(th.ZERO_SHARE * n)
    assert fires("IN005", in005(zero_ticks=need, ticks=n))
    assert not fires("IN005", in005(zero_ticks=need - 1, ticks=n))
