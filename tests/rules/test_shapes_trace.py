"""LS001 on hand-built broadcast records: the observer records facts, the rule judges them."""
import dataclasses

import pytest
from tests.rules.tracebuild import fires, ls001

from unstuck.rules.measures import cross_broadcast


def _with(**kw):
    tr = ls001()
    tr.broadcasts = [dataclasses.replace(tr.broadcasts[0], **kw)]
    return tr


def test_prediction_target_mismatch_fires():
    assert fires("LS001", ls001())


@pytest.mark.parametrize("change", [
    {"fully_reduced": False},                                   # never reduced into the loss
    {"b_requires_grad": True},                                  # both trained: not prediction vs target
    {"a_requires_grad": False},                                 # neither trained
    {"a_explicit": True, "b_explicit": True},                   # a deliberate pairwise table (RBF/MMD)
    {"a_shape": (32, 1), "b_shape": (1, 16), "out_shape": (32, 16)},  # pairs of two different sets
])
def test_intended_broadcasts_stay_silent(change):
    assert not fires("LS001", _with(**change))


def test_one_explicit_axis_is_still_a_mismatch():
    assert fires("LS001", _with(a_explicit=True))


def test_loss_functions_fire_when_bigger_than_both_inputs():
    assert fires("LS001", _with(in_loss_fn=True, op="mse_loss", a_requires_grad=False))
    assert not fires("LS001", _with(in_loss_fn=True, op="mse_loss", b_shape=(1,), out_shape=(32, 1)))


def test_cross_broadcast():
    assert cross_broadcast((32, 1), (32,))
    assert not cross_broadcast((32, 1), (1, 16))
    assert not cross_broadcast((32, 8), (8,))
