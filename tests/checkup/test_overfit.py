import pytest
import torch

from helpers_checkup import regression_problem

from unstuck.checkup.overfit import overfit_ladder, rungs

# The broadcast programs replay the seed's bug: torch warns about it on every call.
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size")


def test_rungs_double_up_to_one_batch():
    p = regression_problem(n=64)
    assert rungs(p) == [1, 2, 4, 8, 16]


def test_a_healthy_model_memorises_a_few_samples():
    p = regression_problem()
    ladder = overfit_ladder(p, steps=100)
    assert [r.samples for r in ladder] == [1, 2, 4, 8, 16]
    for r in ladder[:4]:
        assert r.best_fit > 0.95 and r.loss_end < 0.1 * r.loss_start


def test_a_broadcast_loss_cannot_fit_four_or_more_samples():
    p = regression_problem(broadcast=True)
    ladder = overfit_ladder(p, steps=100)
    assert ladder[0].best_fit > 0.9  # one sample: [1] against [1, 1] is still one pair
    assert all(r.best_fit < 0.5 for r in ladder[2:])  # two close targets may pass; four never
    # inputs zeroed reach the same loss: the model cannot use its inputs through this loss
    assert abs(ladder[2].loss_zeroed - ladder[2].loss_end) < 0.05 * ladder[2].loss_start


def test_the_problem_model_is_never_trained():
    p = regression_problem()
    before = [t.clone() for t in p.model.parameters()]
    overfit_ladder(p, steps=20)
    assert all(torch.equal(a, b) for a, b in zip(before, p.model.parameters()))
