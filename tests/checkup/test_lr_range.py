import math

import numpy as np
import pytest

from helpers_checkup import regression_problem

from unstuck.checkup.lr_range import lr_range_test, suggest_lr


def synthetic(lrs, noise, spikes, seed, best=1e-2):
    """A range-test curve: flat, then descending to a minimum near `best`, then diverging;
    with multiplicative noise and a few huge single-step spikes."""
    rng = np.random.default_rng(seed)
    t = np.log10(lrs)
    b = math.log10(best)
    descent = 1.0 / (1.0 + np.exp(-(t - (b - 1.0)) * 3.0))  # falls over the decade below `best`
    loss = 1.0 - 0.9 * descent + np.where(t > b, 10 ** (3 * (t - b)) - 1, 0)
    loss = loss * (1 + noise * rng.standard_normal(len(lrs)))
    for i in rng.choice(len(lrs) // 2, spikes, replace=False):  # spikes early on, where naive rules fall
        loss[i] *= 20
    return loss


@pytest.mark.parametrize("seed", range(20))
def test_suggestion_is_robust_to_noise_and_spikes(seed):
    lrs = np.logspace(-6, 1, 100)
    losses = synthetic(lrs, noise=0.08, spikes=3, seed=seed)
    lr, why, smoothed = suggest_lr(lrs, losses)
    assert lr is not None, why
    assert 3e-4 <= lr <= 1e-2, (lr, why)  # inside the descending valley, below the minimum


def test_steepest_slope_alone_is_fooled_by_spikes():
    """The failure the suggestion guards against: the raw steepest drop lands on a spike."""
    lrs = np.logspace(-6, 1, 100)
    fooled = 0
    for seed in range(20):
        losses = synthetic(lrs, noise=0.08, spikes=3, seed=seed)
        naive = lrs[int(np.argmin(np.diff(losses)))]
        fooled += not (3e-4 <= naive <= 1e-2)
    assert fooled >= 10


def test_no_suggestion_without_descent():
    lrs = np.logspace(-6, 1, 100)
    flat = 1 + 0.02 * np.random.default_rng(0).standard_normal(100)
    lr, why, _ = suggest_lr(lrs, flat)
    assert lr is None and "never fell" in why


def test_no_suggestion_when_it_diverges_at_once():
    lrs = np.logspace(-6, 1, 30)
    lr, why, _ = suggest_lr(lrs, np.geomspace(1, 1e6, 30))
    assert lr is None


def test_range_test_on_a_tiny_model_leaves_the_problem_untouched():
    import torch
    p = regression_problem()
    before = [t.clone() for t in p.model.parameters()]
    result = lr_range_test(p, p.inputs, p.target, steps=60)
    assert all(torch.equal(a, b) for a, b in zip(before, p.model.parameters()))
    assert len(result.lrs) == len(result.losses) >= 20
    assert result.suggestion is not None and 1e-5 < result.suggestion < 1.0
