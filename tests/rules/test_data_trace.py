"""DT001-DT003 on hand-built traces."""
from tests.rules.tracebuild import dt001, dt002, dt003, fires, t


def test_dt001_scale_and_ratio():
    th = t("DT001")
    assert fires("DT001", dt001(std_max=th.INPUT_SCALE * 1.01))
    assert not fires("DT001", dt001(std_max=th.INPUT_SCALE))
    assert fires("DT001", dt001(std_max=1.0, std_min=1.0 / (th.INPUT_SCALE_RATIO * 1.01)))
    assert not fires("DT001", dt001(std_max=1.0, std_min=1.0 / (th.INPUT_SCALE_RATIO * 0.99)))


def test_dt002_scale_and_offset():
    th = t("DT002")
    assert fires("DT002", dt002(std=th.TARGET_SCALE * 1.01, mean=0.0))
    assert not fires("DT002", dt002(std=th.TARGET_SCALE * 0.99, mean=0.0))
    mean = th.TARGET_OFFSET * 1.01
    assert fires("DT002", dt002(std=mean / (th.TARGET_OFFSET_RATIO * 1.01), mean=mean))
    assert not fires("DT002", dt002(std=mean / (th.TARGET_OFFSET_RATIO * 0.99), mean=mean))
    assert not fires("DT002", dt002(std=0.01, mean=th.TARGET_OFFSET * 0.99))


def test_dt003_dependence():
    th = t("DT003")
    assert fires("DT003", dt003(th.INPUT_DEPENDENCE * 0.99))
    assert not fires("DT003", dt003(th.INPUT_DEPENDENCE))
    assert not fires("DT003", dt003(float("nan")))
