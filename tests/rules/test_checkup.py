"""The checkup rules on hand-built results: each fires on its broken case and stays silent on
the healthy twin."""
from unstuck.checkup.results import BaselineScore, CheckupResults, Integrity, NetworkScore, OverfitRung
from unstuck.diagnose import diagnose
from unstuck.findings import Severity
from unstuck.trace import Trace


def judge(results):
    t = Trace(script="x.py")
    t.checkup = results
    return {f.cause: f for f in diagnose(t, command="checkup").findings}


def rung(samples, fit, other=None):
    return OverfitRung(samples=samples, steps=200, loss_start=1.0, loss_end=1 - fit, fit=fit,
                       other_optimizer="Adam(lr=0.003)" if other is not None else None,
                       other_loss_end=None if other is None else 1 - other, other_fit=other)


def results(task="regression", ladder=(), baselines=(), network=None, constant=None, **kw):
    return CheckupResults(source="script", task=task, samples=1000, overfit=list(ladder),
                          baselines=list(baselines), network=network, constant_score=constant, **kw)


def scores(metric, **named):
    return [BaselineScore(name=k.replace("_", " "), score=v, metric=metric) for k, v in named.items()]


def test_run_without_experiments_skips_the_checkup_rules():
    report = diagnose(Trace(script="x.py"))
    skipped = {r.code: r.detail for r in report.rule_runs if r.status.value == "skipped"}
    assert {"CK001", "CK002", "CK003", "CK004"} <= set(skipped)


def test_cannot_overfit_fires_when_no_optimizer_fits_few_samples():
    found = judge(results(ladder=[rung(1, 1.0, 1.0), rung(2, 0.1, 0.2), rung(4, 0.0, 0.0)]))
    f = found["cannot-overfit"]
    assert f.severity is Severity.ERROR and f.evidence_dict["samples"] == 2


def test_cannot_overfit_silent_when_an_alternative_fits():
    found = judge(results(ladder=[rung(1, 1.0, 1.0), rung(2, 0.3, 0.99), rung(4, 0.2, 0.97), rung(8, 0.5, 0.95),
                                  rung(64, 0.2)]))  # large rungs are not judged
    assert "cannot-overfit" not in found


def test_classification_needs_every_sample_right():
    bad = judge(results(task="classification", ladder=[rung(8, 0.875, 0.875)]))
    good = judge(results(task="classification", ladder=[rung(8, 0.875, 1.0)]))
    assert "cannot-overfit" in bad and "cannot-overfit" not in good


def test_not_learnable_when_nothing_beats_the_constant():
    found = judge(results(baselines=scores("r2", constant=-0.01, linear=0.01, boosted_trees=-0.2, kNN=-0.1),
                          constant=-0.01, network=NetworkScore(score=-0.05, metric="r2", optimizer="Adam",
                                                               best_score=-0.05)))
    f = found["not-learnable"]
    assert "misaligned" in f.message and f.severity is Severity.ERROR
    assert "below-baseline" not in found


def test_learnable_when_a_baseline_or_the_network_beats_the_constant():
    by_baseline = judge(results(baselines=scores("r2", constant=0.0, linear=0.3, kNN=0.1), constant=0.0))
    by_network = judge(results(baselines=scores("r2", constant=0.0, linear=0.01, kNN=0.0), constant=0.0,
                               network=NetworkScore(score=0.4, metric="r2", optimizer="Adam", best_score=0.4)))
    assert "not-learnable" not in by_baseline and "not-learnable" not in by_network


def test_classification_margin_grows_for_small_samples():
    r = results(task="classification", baselines=scores("accuracy", constant=0.6, linear=0.66, kNN=0.6),
                constant=0.6)
    r.samples = 100  # 3 standard errors of 0.6 on 100 samples: 0.147
    assert "not-learnable" in judge(r)
    r.samples = 100_000
    assert "not-learnable" not in judge(r)


def test_below_baseline_warning_when_no_setting_closes_the_gap():
    net = NetworkScore(score=0.61, metric="accuracy", optimizer="SGD (yours)", best_score=0.62,
                       best_optimizer="Adam", steps=500)
    found = judge(results(task="classification", baselines=scores("accuracy", constant=0.61, linear=0.61,
                                                                  boosted_trees=0.97, kNN=0.96),
                          constant=0.61, network=net))
    f = found["below-baseline"]
    assert f.severity is Severity.WARNING and f.evidence_dict["baseline"] == "boosted trees"
    assert f.kind.value == "symptom"  # no overfit ladder: nothing says the model itself is fine


def test_below_baseline_is_info_when_another_optimizer_closes_it():
    net = NetworkScore(score=0.7, metric="accuracy", optimizer="SGD (yours)", best_score=0.96,
                       best_optimizer="Adam", steps=500)
    found = judge(results(task="classification", baselines=scores("accuracy", constant=0.5, kNN=0.97, linear=0.9),
                          constant=0.5, network=net))
    assert found["below-baseline"].severity is Severity.INFO


def test_below_baseline_silent_within_the_margin():
    net = NetworkScore(score=0.985, metric="accuracy", optimizer="Adam (yours)", best_score=0.985)
    found = judge(results(task="classification", baselines=scores("accuracy", constant=0.5, kNN=0.997),
                          constant=0.5, network=net))
    assert "below-baseline" not in found


def test_table_nonfinite_counts_per_column():
    r = results()
    r.integrity = Integrity(rows=100, columns=3, nonfinite={"a": 3, "y": 1}, rows_dropped=4)
    f = judge(r)["data-nonfinite"]
    assert "a: 3" in f.message and "y: 1" in f.message
    assert f.evidence_dict["counts"] == (3, 1)
    clean = results()
    clean.integrity = Integrity(rows=100, columns=3)
    assert "data-nonfinite" not in judge(clean)


def test_watch_causes_explain_the_experiments_symptoms():
    from unstuck.diagnose import consequences
    assert {"cannot-overfit", "below-baseline"} <= consequences("loss-broadcast")


def test_below_baseline_is_the_cause_when_the_model_fits_few_samples():
    net = NetworkScore(score=0.61, metric="accuracy", optimizer="SGD (yours)", best_score=0.62,
                       best_optimizer="Adam", steps=500)
    found = judge(results(task="classification", ladder=[rung(1, 1.0, 1.0), rung(8, 1.0, 1.0)],
                          baselines=scores("accuracy", constant=0.61, boosted_trees=0.97), constant=0.61, network=net))
    assert found["below-baseline"].kind.value == "cause"
