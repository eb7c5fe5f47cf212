"""NF001-NF002 on hand-built traces."""
from tests.rules.tracebuild import fires, nf001, nf002, training_run


def test_nf001_nonfinite_targets():
    assert fires("NF001", nf001())
    assert not fires("NF001", training_run())


def test_nf002_nonfinite_losses():
    assert fires("NF002", nf002())
    assert not fires("NF002", training_run())
