"""NF001-NF002 on hand-built traces."""
from tests.rules.tracebuild import fires, nf001, nf002, training_run


def test_nf001_nonfinite_targets():
    assert fires("NF001", nf001())
    assert not fires("NF001", training_run())


def test_nf002_nonfinite_losses():
    assert fires("NF002", nf002())
    assert not fires("NF002", training_run())


def test_nf002_masked_logits_with_a_finite_loss_are_silent():
    """-inf on purpose (a similarity matrix's diagonal masked before cross_entropy)."""
    tr = training_run()
    for c in tr.losses:
        c.pred_finite = False
    assert not fires("NF002", tr)
    tr.losses[-1].value = float("inf")
    assert fires("NF002", tr)
