"""OP001-OP004 on hand-built traces."""
from tests.rules.tracebuild import fires, op001, op001_manual, op002, op003, op004, t


def _count_and_share(code: str, build, minimum: float, share: float) -> None:
    """`build(bad, seen)` reports when `bad` reaches `minimum` and `share` of `seen`, not before."""
    assert fires(code, build(minimum, minimum))
    assert not fires(code, build(minimum - 1, minimum - 1))
    n = 100
    need = round(share * n)
    assert fires(code, build(need, n))
    assert not fires(code, build(need - 1, n))


def test_op001_stale_elements_steps_and_share():
    th = t("OP001")
    assert fires("OP001", op001(stale_share=th.STALE_ELEM_SHARE))
    assert not fires("OP001", op001(stale_share=th.STALE_ELEM_SHARE - 0.01))
    _count_and_share("OP001", lambda bad, seen: op001(stale_steps=bad, checked_steps=seen),
                     th.STALE_MIN_STEPS, th.STALE_SHARE)


def test_op001_manual_updates():
    th = t("OP001")
    updated = 10
    over = int(th.MANUAL_STALE_PARAM_SHARE * updated) + 1
    assert fires("OP001", op001_manual(stale=over, updated=updated, updates=th.STALE_MIN_STEPS))
    assert not fires("OP001", op001_manual(stale=over - 1, updated=updated))
    assert not fires("OP001", op001_manual(stale=over, updated=updated, updates=th.STALE_MIN_STEPS - 1))


def test_op002_empty_steps_and_share():
    th = t("OP002")
    _count_and_share("OP002", lambda bad, seen: op002(empty_steps=bad, steps=seen), th.EMPTY_MIN_STEPS,
                     th.EMPTY_SHARE)


def test_op003_backwards():
    need = t("OP003").MIN_BACKWARDS_NO_STEP
    assert fires("OP003", op003(backwards=need))
    assert not fires("OP003", op003(backwards=need - 1))


def test_op004_retained():
    th = t("OP004")
    _count_and_share("OP004", lambda bad, seen: op004(retained=bad, checked=seen), th.RETAINED_MIN,
                     th.RETAINED_SHARE)
