from unstuck.checkup.results import BaselineScore, CheckupResults, NetworkScore, OverfitRung
from unstuck.checkup.verdict import verdict
from unstuck.diagnose import diagnose
from unstuck.findings import Finding, Kind, Severity
from unstuck.trace import Trace


def kind_of(results, extra=()):
    t = Trace(script="x.py")
    t.checkup = results
    findings = list(extra) + diagnose(t, command="checkup").findings
    return verdict(findings, results)


def base(task="classification", fit=1.0, net=0.95, best_net=None, baselines=(("constant", 0.5), ("kNN", 0.96))):
    return CheckupResults(
        source="script", task=task, samples=1000,
        overfit=[OverfitRung(samples=s, steps=200, loss_start=1.0, loss_end=0.01, fit=fit) for s in (1, 2, 4, 8)],
        baselines=[BaselineScore(name=n, score=s, metric="accuracy") for n, s in baselines], constant_score=0.5,
        network=NetworkScore(score=net, metric="accuracy", optimizer="Adam (yours)",
                             best_score=best_net if best_net is not None else net, best_optimizer="SGD+momentum"))


def test_healthy():
    v = kind_of(base())
    assert v["kind"] == "healthy" and "No problem found" in v["summary"]


def test_cannot_overfit_is_a_bug():
    assert kind_of(base(fit=0.5))["kind"] == "bug"


def test_a_watch_cause_is_a_bug_and_named():
    f = Finding(rule="LS001", cause="loss-broadcast", kind=Kind.CAUSE, severity=Severity.ERROR,
                title="Prediction and target broadcast", message="[N] vs [N, 1]", location=None)
    v = kind_of(base(), extra=[f])
    assert v["kind"] == "bug" and "loss-broadcast" in v["summary"]


def test_nothing_learns_is_data():
    v = kind_of(base(net=0.5, baselines=(("constant", 0.5), ("kNN", 0.5), ("linear", 0.51))))
    assert v["kind"] == "data" and "misaligned" in v["summary"]


def test_baselines_ahead_is_capacity_or_optimisation():
    assert kind_of(base(net=0.6, best_net=0.61))["kind"] == "capacity"
    assert kind_of(base(net=0.6, best_net=0.95))["kind"] == "optimisation"


def test_no_experiment_is_inconclusive():
    v = verdict([], CheckupResults(source="script", skipped={"experiments": "no built-in loss"}))
    assert v["kind"] == "inconclusive" and "no built-in loss" in v["summary"]


def test_a_verdict_on_partial_evidence_says_so_and_lists_what_was_skipped():
    results = base()
    results.skipped = {"lr_range": "time budget spent", "optimizers": "time budget spent"}
    v = kind_of(results)
    assert v["kind"] == "healthy" and v["partial"] == ["lr_range", "optimizers"]
    assert "partial evidence: skipped lr range (time budget spent); optimizers (time budget spent)" in v["summary"]
    assert "partial" not in kind_of(base())


def test_the_default_networks_optimizer_is_not_called_yours():
    import torch

    from unstuck.checkup.optimizers import candidates
    from unstuck.checkup.problem import OptimizerSpec, Problem
    spec = OptimizerSpec(torch.optim.Adam, [([0], {"lr": 1e-3})])
    common = dict(model=torch.nn.Linear(2, 1), inputs=(torch.zeros(4, 2),), target=torch.zeros(4, 1),
                  loss_name="mse_loss", loss_call=torch.nn.functional.mse_loss, pred_tail=(1,), optimizer=spec,
                  batch_size=4)
    assert candidates(Problem(**common, source="table"), None)[0][0] == "Adam (the default network's)"
    assert candidates(Problem(**common), None)[0][0] == "Adam (yours)"
