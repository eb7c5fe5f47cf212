"""The trace facts the HTML report draws (`trace.json`): predictions against targets, class
counts and the losses computed without gradients, taken from a real watched run."""
import textwrap

import pytest

from unstuck.api import observe_and_diagnose
from unstuck.logbook.tracedata import trace_data

REGRESSION = """
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(200, 3); y = x @ torch.tensor([1.0, -2.0, 0.5])
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x).squeeze(1), y)
    loss.backward()
    opt.step()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(x[:50]).squeeze(1), y[:50])
"""

CLASSIFIER = """
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(300, 4); y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
model = nn.Linear(4, 3)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for step in range(30):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    with torch.no_grad():  # evaluation on the first 100 rows, as the script sees it
        out = model(x[:100])
        val = nn.functional.cross_entropy(out, y[:100])
        print("ACC", step, (out.argmax(1) == y[:100]).float().mean().item())
"""


def data_of(tmp_path, code):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    _, trace = observe_and_diagnose(str(script))
    return trace_data(trace)


def test_regression_keeps_predictions_against_targets_and_the_evaluation_loss(tmp_path):
    data = data_of(tmp_path, REGRESSION)
    first, last = data["predictions"]
    assert first["step"] < last["step"] and first["fn"] == "mse_loss"
    assert len(last["values"]) == 128
    # learning: the last step's predictions are closer to their targets than the first's
    def error(snap):
        return sum(abs(p - t) for p, t in snap["values"]) / len(snap["values"])
    assert error(last) < error(first)
    assert data["eval_losses"] and all(e["value"] > 0 for e in data["eval_losses"])
    assert data["classes"] == []
    assert data["update_ratio"] and all(u["value"] > 0 for u in data["update_ratio"])


def test_classifier_keeps_predicted_and_true_class_counts_and_accuracies(tmp_path, capfd):
    data = data_of(tmp_path, CLASSIFIER)
    assert data["predictions"] == []
    printed = {int(step) + 1: float(acc) for _, step, acc in
               (line.split() for line in capfd.readouterr().out.splitlines() if line.startswith("ACC"))}
    assert data["eval_losses"]
    for e in data["eval_losses"]:  # the evaluation accuracy is the one the script computed
        assert e["accuracy"] == pytest.approx(printed[e["step"]], abs=1e-6)
    train = data["train_accuracy"]
    assert len(train) >= 3 and all(0 <= t["value"] <= 1 for t in train) and train[-1]["value"] > train[0]["value"]
    last = data["classes"][-1]
    assert len(last["values"]) == 3
    assert sum(t for _, t in last["values"]) == 300 == sum(p for p, _ in last["values"])


BINARY = """
import torch, torch.nn as nn
torch.manual_seed(1)
x = torch.randn(256, 3); y = (x[:, 0] > 0).float().unsqueeze(1)
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for step in range(25):
    opt.zero_grad()
    out = model(x)
    loss = nn.functional.binary_cross_entropy_with_logits(out, y)
    loss.backward()
    opt.step()
    print("ACC", step, ((out > 0).float() == y).float().mean().item())
"""


def test_binary_cross_entropy_accuracy_is_the_side_of_the_threshold(tmp_path, capfd):
    data = data_of(tmp_path, BINARY)
    printed = {int(step) + 1: float(acc) for _, step, acc in
               (line.split() for line in capfd.readouterr().out.splitlines() if line.startswith("ACC"))}
    assert data["train_accuracy"]
    for t in data["train_accuracy"]:  # a training batch's accuracy, before its step
        assert t["value"] == pytest.approx(printed[t["step"]], abs=1e-6)
