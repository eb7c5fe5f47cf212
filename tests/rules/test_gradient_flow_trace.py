"""GF001-GF003 on hand-built traces."""
from tests.rules.tracebuild import fires, gf001, gf002, gf003, judge, t

from unstuck.findings import Severity
from unstuck.trace import ParamInfo


def test_gf001_passes():
    need = t("GF001").MIN_UNOPTIMIZED_PASSES
    assert fires("GF001", gf001(passes=need))
    assert not fires("GF001", gf001(passes=need - 1))


def test_gf002_frozen_share():
    share = t("GF002").FROZEN_SHARE
    assert fires("GF002", gf002(frozen_share=share + 0.01))
    assert not fires("GF002", gf002(frozen_share=share - 0.01))
    assert not fires("GF002", gf002(matrices=1))  # a trainable head left: a frozen backbone


def _trainable(trace, pids):
    for s in trace.steps:
        s.model_trainable_params = tuple(pids)
    return trace


def test_gf002_bias_only_fine_tuning_is_silent_a_leftover_is_not():
    # with_model: biases 2, 4, 6 of three Linear layers that ran; weights 1, 3, 5
    assert not fires("GF002", _trainable(gf002(frozen_share=0.95), [2, 4, 6]))  # BitFit
    assert fires("GF002", _trainable(gf002(frozen_share=0.95), [6]))  # one bias left: a mistake
    assert fires("GF002", _trainable(gf002(frozen_share=0.95), [4, 6]))  # not every layer's bias
    trace = gf002(frozen_share=0.95)
    trace.params[99] = ParamInfo("temperature", 1, (), "Net", -1)
    assert fires("GF002", _trainable(trace, [2, 4, 6, 99]))  # a scale left as well: not bias-only
    few = gf002(frozen_share=0.95)
    for pid in (3, 4, 5, 6):
        few.params[pid].layer_order = -1  # only one layer ran
    assert t("GF002").MIN_BIAS_LAYERS == 2 and fires("GF002", _trainable(few, [2]))


def test_gf003_unreached_steps_and_severity():
    th = t("GF003")
    assert fires("GF003", gf003(unreached_steps=th.MIN_UNREACHED_STEPS))
    assert not fires("GF003", gf003(unreached_steps=th.MIN_UNREACHED_STEPS - 1))
    [f] = judge("GF003", gf003(share=th.UNREACHED_ERROR_SHARE + 0.05))[0]
    assert f.severity is Severity.ERROR
    [f] = judge("GF003", gf003(share=th.UNREACHED_ERROR_SHARE - 0.05))[0]
    assert f.severity is Severity.WARNING
    # the unreached layer must be behind the cut (or have run with gradients off): an unused output is silent
    bypassed = gf003(unreached_steps=th.MIN_UNREACHED_STEPS)
    bypassed.cuts[0].behind = {99}
    assert not fires("GF003", bypassed)
    for s in bypassed.steps:
        s.unreached_without_grad = s.unreached_params
    assert fires("GF003", bypassed)
