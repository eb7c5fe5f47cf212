import pytest
from helpers_checkup import classification_problem, regression_problem

from unstuck.checkup import baselines as bl
from unstuck.checkup.network import network_score

# The broadcast programs replay the seed's bug: torch warns about it on every call.
pytestmark = pytest.mark.filterwarnings("ignore:Using a target size")


def _run(p, steps=150):
    data = bl.baseline_data(p)
    splits = bl.folds(p, data)
    scores = {b.name: b.score for b in bl.run_baselines(p, data, splits)}
    net = network_score(p, splits, [("Adam (yours)", p.optimizer.build)], steps=steps)
    return scores, net


def test_learnable_labels_beat_the_constant_and_the_network_keeps_up():
    scores, net = _run(classification_problem())
    assert set(scores) == {"constant", "linear", "boosted trees", "kNN"}
    assert scores["linear"] > scores["constant"] + 0.2
    assert net.metric == "accuracy" and net.score > scores["constant"] + 0.2


@pytest.mark.slow
def test_random_labels_are_not_learnable():
    scores, net = _run(classification_problem(n=300, labels="random"))
    best = max(v for k, v in scores.items() if k != "constant")
    assert best < scores["constant"] + 0.1
    assert net.score < scores["constant"] + 0.1


def test_regression_scores_are_r2():
    scores, net = _run(regression_problem(n=120))
    assert abs(scores["constant"]) < 0.1 and scores["linear"] > 0.9
    assert net.metric == "r2" and net.score > 0.5


def test_a_broadcast_loss_leaves_the_network_below_the_baselines():
    scores, net = _run(regression_problem(n=120, broadcast=True))
    assert scores["linear"] > 0.9 and net.score < 0.2


def test_no_baselines_for_a_reconstruction_or_dense_targets():
    import dataclasses
    import torch
    p = regression_problem(n=60)
    auto = dataclasses.replace(p, target=p.inputs[0].clone(), pred_tail=(3,))
    assert "reconstruction" in bl.baseline_data(auto)
    dense = dataclasses.replace(p, target=torch.randn(60, 32), pred_tail=(32,))
    assert "more than 16" in bl.baseline_data(dense)
