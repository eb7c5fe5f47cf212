"""The report's charts: each draws its evidence when there is some, and is left out (None)
when it would show nothing."""
import re

from unstuck.report import plots


def rows(losses, lr=0.1):
    return [{"step": i + 1, "loss": v, "lr": [lr(i) if callable(lr) else lr]} for i, v in enumerate(losses)]


def texts(svg: str) -> str:
    return " ".join(re.findall(r">([^<>]+)<", svg))


def test_loss_chart_draws_trend_baseline_and_evaluation_losses():
    noisy = [1.0 + 0.3 * ((-1) ** i) for i in range(100)]
    svg = plots.loss_chart(rows(noisy), [{"step": 1, "baseline": 1.0}, {"step": 50, "baseline": 1.0}],
                           eval_losses=[{"step": 10, "value": 0.9}, {"step": 90, "value": 0.8}])
    shown = texts(svg)
    assert "smoothed" in shown and "constant prediction" in shown and "evaluation" in shown


def test_smoothing_follows_the_trend_not_the_noise():
    noisy = [1.0 + 0.5 * ((-1) ** i) for i in range(200)]
    smooth = plots._smooth(noisy)
    assert max(smooth[100:]) - min(smooth[100:]) < 0.2 < max(noisy) - min(noisy)
    assert plots._smooth([3.0]) == [3.0]


def test_a_constant_learning_rate_is_no_chart_a_schedule_is():
    assert plots.lr_chart(rows([1.0] * 10)) is None
    assert plots.lr_chart(rows([1.0] * 10, lr=lambda i: 0.1 * 0.5 ** i)) is not None


def test_activation_chart_is_left_out_when_nothing_is_dead():
    healthy = [{"label": "relu at a.py:3", "dead": [[1, 0.0], [50, 0.0]]}]
    assert plots.activation_chart(healthy) is None
    dying = [{"label": "relu at a.py:3", "dead": [[1, 0.0], [50, 0.7]]}]
    assert "relu at a.py:3" in texts(plots.activation_chart(dying))


def test_predictions_chart_shows_both_steps_the_diagonal_and_the_mean():
    flat = [[0.25, t / 10] for t in range(-30, 30)]  # (prediction, target): every prediction at the mean
    svg = plots.predictions_chart([{"step": 1, "fn": "mse_loss", "values": flat},
                                   {"step": 200, "fn": "mse_loss", "values": flat}])
    shown = texts(svg)
    assert "step 1" in shown and "step 200" in shown and "prediction = target" in shown and "mean" in shown
    assert plots.predictions_chart([]) is None
    assert plots.predictions_chart([{"step": 1, "values": [[None, None]]}]) is None


def test_classes_chart_compares_predicted_and_true_shares():
    svg = plots.classes_chart([{"step": 1, "values": [[60, 20], [0, 20], [0, 20]]},
                               {"step": 90, "values": [[60, 20], [0, 20], [0, 20]]}])
    shown = texts(svg)
    assert "targets" in shown and "predicted, step 90" in shown and "predicted, step 1" in shown
    assert plots.classes_chart([]) is None


def test_gradient_steps_chart_needs_two_steps_and_names_the_sides():
    layers = [f"l{i}.weight" for i in range(8)]
    snaps = [{"step": s, "values": {n: 10.0 ** -i for i, n in enumerate(layers)}} for s in (1, 20, 40)]
    shown = texts(plots.gradient_steps_chart(layers, snaps))
    assert "l0.weight (input side)" in shown and "l7.weight (output side)" in shown
    assert plots.gradient_steps_chart(layers, snaps[:1]) is None


def test_update_ratio_chart_shows_the_typical_band():
    series = [{"step": s, "opt": 0, "value": 0.5} for s in (1, 10, 20)]
    assert "typical 1e-3 to 1e-2" in texts(plots.update_ratio_chart(series))
    assert plots.update_ratio_chart([{"step": 1, "opt": 0, "value": None}]) is None


def test_accuracy_chart_shows_training_and_evaluation():
    shown = texts(plots.accuracy_chart([{"step": 1, "value": 0.3}, {"step": 50, "value": 0.9}],
                                       [{"step": 50, "value": 0.4, "accuracy": 0.7}]))
    assert "training batches" in shown and "evaluation" in shown
    assert plots.accuracy_chart([], [{"step": 5, "value": 0.4, "accuracy": None}]) is None
