"""Replay with the fix applied: confirmed where the fix clearly helps, not-confirmed where it
changes nothing, not-tried with a reason where there is nothing to replay."""
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.checkup.helpers_checkup import classification_problem, regression_problem
from unstuck.checkup.confirm import SCORE_MARGIN, confirm
from unstuck.checkup.problem import OptimizerSpec, Problem
from unstuck.findings import Finding, Kind, Report, Severity
from unstuck.logbook.rundir import terminal_text


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the broadcast being replayed
        return fn(*args, **kwargs)


def _snapshot(model):
    return [p.detach().clone() for p in model.parameters()]


def test_a_broadcast_is_confirmed_and_the_users_model_is_untouched():
    problem = regression_problem(n=256, broadcast=True)
    before = _snapshot(problem.model)
    c = _quiet(confirm, "loss-broadcast", problem, seconds=30, steps=150)
    assert c["status"] == "confirmed", c
    assert c["with_fix"]["score"] > 0.8 and c["as_written"]["score"] < 0.2
    assert c["fix_applied"] and c["held_back"] == 64
    assert all(torch.equal(a, b) for a, b in zip(before, _snapshot(problem.model)))


def test_the_same_fix_on_a_healthy_problem_is_not_confirmed():
    c = confirm("loss-broadcast", regression_problem(n=256), seconds=30, steps=150)
    assert c["status"] == "not-confirmed", c
    assert "may be wrong" in c["reason"]


def _four_classes(softmax: bool) -> Problem:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 10, generator=g)
    y = (x[:, :3] @ torch.randn(3, 4, generator=g)).argmax(1)
    torch.manual_seed(0)
    layers = [nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 4)] + ([nn.Softmax(dim=1)] if softmax else [])
    spec = OptimizerSpec(torch.optim.SGD, [(list(range(4)), {"lr": 0.05})])
    return Problem(model=nn.Sequential(*layers), inputs=(x,), target=y, loss_name="cross_entropy",
                   loss_call=F.cross_entropy, pred_tail=(4,), optimizer=spec, batch_size=64)


def test_a_softmax_before_cross_entropy_is_confirmed_by_removing_it():
    c = confirm("double-softmax", _four_classes(softmax=True), seconds=30, steps=200)
    assert c["status"] == "confirmed", c
    # the swap touches only a softmax whose output is the prediction: no softmax, no change
    c = confirm("double-softmax", _four_classes(softmax=False), seconds=30, steps=200)
    assert c["status"] == "not-confirmed", c


def test_eval_mode_training_is_replayed_in_train_mode():
    problem = classification_problem(n=200)
    c = confirm("eval-mode-training", problem, seconds=10, steps=20)
    assert c["status"] == "not-tried" and "train mode" in c["reason"]


def test_nothing_to_replay_says_why():
    assert confirm("loss-broadcast", None)["status"] == "not-tried"
    c = confirm("dead-relu", regression_problem())
    assert c["status"] == "not-tried" and "no mechanical fix" in c["reason"]
    c = confirm("loss-broadcast", regression_problem(n=24))
    assert c["status"] == "not-tried" and "too few" in c["reason"]


def test_the_terminal_report_says_what_the_replay_showed():
    c = _quiet(confirm, "loss-broadcast", regression_problem(n=256, broadcast=True), seconds=30, steps=150)
    f = Finding(rule="LS001", cause="loss-broadcast", kind=Kind.CAUSE, severity=Severity.ERROR, title="t",
                message="m", location=None, confirmation=c)
    text = terminal_text(Report(command="checkup", script="s.py", steps_observed=10, findings=[f]), width=200)
    assert "Confirmed by replay" in text and "as written" in text
    assert Report(command="checkup", script="s.py", steps_observed=10, findings=[f]).to_json()[
        "findings"][0]["confirmation"]["status"] == "confirmed"


def test_a_sigmoid_before_a_logits_loss_is_confirmed_by_removing_it():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 10, generator=g)
    y = (x[:, :3].sum(1, keepdim=True) > 0).float()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1), nn.Sigmoid())
    spec = OptimizerSpec(torch.optim.SGD, [(list(range(4)), {"lr": 0.05})])
    problem = Problem(model=model, inputs=(x,), target=y, loss_name="binary_cross_entropy_with_logits",
                      loss_call=F.binary_cross_entropy_with_logits, pred_tail=(1,), optimizer=spec, batch_size=64)
    c = confirm("double-sigmoid", problem, seconds=30, steps=200)
    assert c["status"] == "confirmed", c


def test_a_model_whose_parameters_are_all_optimized_has_nothing_to_replay():
    c = confirm("params-not-optimized", regression_problem(n=256), seconds=10, steps=50)
    assert c["status"] == "not-tried" and "already" in c["reason"]


class _Branches(nn.Module):
    """Two branches kept in a plain dict: model.parameters() does not see them."""

    def __init__(self):
        super().__init__()
        self.branches = {"a": nn.Linear(6, 32), "b": nn.Linear(6, 32)}
        self.out = nn.Linear(64, 1)

    def forward(self, x):
        return self.out(torch.cat([torch.tanh(b(x)) for b in self.branches.values()], 1))


def test_parameters_kept_in_a_plain_dict_are_trained_by_the_fixed_replay():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 6, generator=g)
    y = torch.sin(2 * x[:, :1]) * x[:, 1:2] + x[:, 2:3] ** 2
    torch.manual_seed(0)
    model = _Branches()
    spec = OptimizerSpec(torch.optim.Adam, [([0, 1], {"lr": 1e-2})])
    problem = Problem(model=model, inputs=(x,), target=y, loss_name="mse_loss", loss_call=F.mse_loss,
                      pred_tail=(1,), optimizer=spec, batch_size=32)
    before = [p.detach().clone() for b in model.branches.values() for p in b.parameters()]
    c = confirm("params-not-optimized", problem, seconds=30, steps=200)
    assert c["status"] == "confirmed", c
    assert "plain lists or dicts" in c["fix_applied"]
    after = [p.detach() for b in model.branches.values() for p in b.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # the user's branches are untouched


def _sgd_problem(lr: float, schedule=()) -> Problem:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(640, 5, generator=g)
    y = (x[:, 0] - x[:, 1] * x[:, 2] > 0).long()
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 2))
    spec = OptimizerSpec(torch.optim.SGD, [(list(range(4)), {"lr": lr, "momentum": 0.9})])
    return Problem(model=model, inputs=(x,), target=y, loss_name="cross_entropy", loss_call=F.cross_entropy,
                   pred_tail=(2,), optimizer=spec, batch_size=32, lr_schedule=tuple(schedule))


@pytest.mark.slow
def test_loop_defects_are_replayed_as_the_diagnosis_says_the_script_made_them():
    problem = _sgd_problem(lr=0.05)
    for cause in ("backward-missing", "optimizer-step-missing", "zero-grad-misplaced", "missing-zero-grad"):
        c = confirm(cause, problem, seconds=30, steps=200)
        assert c["status"] == "confirmed", (cause, c)
        assert c["as_written"]["score"] < 0.8 < c["with_fix"]["score"], (cause, c)
    # the written replay of a loop with no effective step does not learn at all
    c = confirm("optimizer-step-missing", problem, seconds=30, steps=100)
    curve = [v for _, v in c["as_written"]["curve"]]
    quarter = len(curve) // 4
    assert abs(sum(curve[:quarter]) - sum(curve[-quarter:])) / quarter < 0.05  # minibatch noise only


@pytest.mark.slow
def test_a_schedule_that_collapses_is_replayed_against_a_constant_learning_rate():
    collapsing = [0.05 * 0.9 ** i for i in range(300)]  # an epoch schedule stepped every batch
    c = confirm("lr-schedule-collapse", _sgd_problem(lr=0.05, schedule=collapsing), seconds=30, steps=200)
    assert c["status"] == "confirmed", c
    assert "0.05" in c["fix_applied"]
    gentle = [0.05 * 0.999 ** i for i in range(300)]  # a schedule that keeps learning: no gain
    c = confirm("lr-schedule-collapse", _sgd_problem(lr=0.05, schedule=gentle), seconds=30, steps=200)
    assert c["status"] == "not-confirmed", c
    # a warmup from a hundredth of the rate: replayed at the optimizer's own scale, not 100x it
    warmup = [0.05 * min(1.0, 0.01 + i / 20) for i in range(300)]
    c = confirm("lr-schedule-collapse", _sgd_problem(lr=0.05, schedule=warmup), seconds=30, steps=200)
    assert c["status"] == "not-confirmed" and c["as_written"]["score"] > 0.8, c
    c = confirm("lr-schedule-collapse", _sgd_problem(lr=0.05), seconds=30, steps=200)
    assert c["status"] == "not-tried" and "not recorded" in c["reason"]


def test_without_checkup_results_the_range_test_runs_for_a_learning_rate_cause():
    c = confirm("lr-too-low", _sgd_problem(lr=1e-6), seconds=30, steps=200)
    assert c["status"] == "confirmed", c
    assert "range test" in c["fix_applied"]


def _noisy_classes(head: nn.Module | None, loss, noise: float) -> Problem:
    """Four well-separated classes, a share `noise` of the labels redrawn at random: accuracy
    reaches its ceiling (the labels' own noise) quickly, with or without the bug."""
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(4, 8, generator=g) * 3
    y = torch.randint(0, 4, (400,), generator=g)
    x = centres[y] + 0.5 * torch.randn(400, 8, generator=g)
    y = torch.where(torch.rand(400, generator=g) < noise, torch.randint(0, 4, (400,), generator=g), y)
    torch.manual_seed(0)
    layers = [nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4)] + ([head] if head is not None else [])
    spec = OptimizerSpec(torch.optim.Adam, [(list(range(4)), {"lr": 1e-2})])
    return Problem(model=nn.Sequential(*layers), inputs=(x,), target=y, loss_name=loss.__name__, loss_call=loss,
                   pred_tail=(4,), optimizer=spec, batch_size=32)


@pytest.mark.parametrize("cause, loss, healthy", [("nll-without-log-softmax", F.nll_loss, nn.LogSoftmax(dim=1)),
                                                   ("double-softmax", F.cross_entropy, None)])
def test_an_output_fix_is_judged_by_the_fixed_loss_on_both_models_when_accuracy_is_at_its_ceiling(
        cause, loss, healthy):
    # the softmax's probabilities are pushed to one class however noisy the labels: the accuracy
    # ties at the labels' ceiling, the log-likelihood the script meant to minimise does not
    c = confirm(cause, _noisy_classes(nn.Softmax(dim=1), loss, noise=0.2), seconds=30, steps=100)
    assert c["status"] == "confirmed", c
    assert abs(c["as_written"]["score"] - c["with_fix"]["score"]) < SCORE_MARGIN  # the score alone shows no gap
    assert c["with_fix"]["loss"] < 0.6 * c["as_written"]["loss_as_fixed"], c
    assert "the fixed loss, on both models" in c["reason"]
    # the healthy twin: nothing to swap, the same model measured the same way
    c = confirm(cause, _noisy_classes(healthy, loss, noise=0.2), seconds=30, steps=100)
    assert c["status"] == "not-confirmed", c
    assert c["as_written"]["loss_as_fixed"] == c["with_fix"]["loss"]


def test_the_fixed_loss_does_not_favour_the_fix_where_the_written_model_is_as_good():
    # clean labels: the softmax'd model grows as confident as the fixed one (more, even): no gain
    c = confirm("nll-without-log-softmax", _noisy_classes(nn.Softmax(dim=1), F.nll_loss, noise=0.0),
                seconds=30, steps=100)
    assert c["status"] == "not-confirmed", c
    assert "the fixed loss" in c["reason"]
