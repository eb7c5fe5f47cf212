"""When learning stalls and no code cause explains it, `unstuck run` checks the captured data:
labels separated from their inputs are `label-misalignment` when the batches show how,
`not-learnable` when they do not; learnable data gets one line, healthy runs nothing."""
import json
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import causes
from unstuck.api import observe_and_diagnose
from unstuck.checkup import stall

HEAD = """
import numpy as np
import torch
import torch.nn as nn
torch.manual_seed(0)
rng = np.random.default_rng(0)
X = rng.normal(size=(1200, 8)).astype("float32")
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype("int64")
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
"""

TWO_SHUFFLES = HEAD + """
for epoch in range(12):
    rng.shuffle(X)           # each array in its own order
    rng.shuffle(y)
    for i in range(0, 1200, 60):
        xb, yb = torch.from_numpy(X[i:i + 60]), torch.from_numpy(y[i:i + 60])
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

ONE_SHUFFLE = HEAD + """
for epoch in range(12):
    perm = rng.permutation(1200)
    X, y = X[perm], y[perm]
    for i in range(0, 1200, 60):
        xb, yb = torch.from_numpy(X[i:i + 60]), torch.from_numpy(y[i:i + 60])
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

RANDOM_LABELS = HEAD + """
y = rng.integers(0, 2, size=1200)      # a sanity check left in: labels drawn at random
ds = torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
loader = torch.utils.data.DataLoader(ds, batch_size=100, shuffle=True)
model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(15):
    for xb, yb in loader:
        loss = nn.functional.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def _run(tmp_path, code):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    capture = stall.capture_observer()
    report, trace = observe_and_diagnose(str(script), [], observers=[capture])
    return stall.check(report, trace, capture, command="train.py"), capture


@pytest.mark.slow
def test_inputs_and_labels_shuffled_separately_are_label_misalignment(tmp_path):
    report, capture = _run(tmp_path, TWO_SHUFFLES)
    assert causes(report)[0] == "label-misalignment", [f.cause for f in report.findings]
    root = report.findings[0]
    assert "another label" in root.message and "cross_entropy" in root.location.code
    folded = {f.cause for f in report.findings if f.caused_by}
    assert "not-learnable" in folded
    assert len(capture.labels.label_of) <= stall.MAX_SAMPLES  # bounded memory


def test_the_fixed_twin_learns_and_stays_silent(tmp_path):
    report, _ = _run(tmp_path, ONE_SHUFFLE)
    assert causes(report) == [] and not report.notes


def test_labels_unrelated_to_the_inputs_are_not_learnable(tmp_path):
    report, _ = _run(tmp_path, RANDOM_LABELS)
    assert causes(report)[0] == "not-learnable", [f.cause for f in report.findings]
    assert "the network's own loss stalled" in report.findings[0].message


@pytest.mark.slow
def test_learnable_data_behind_a_stall_gets_one_line_naming_the_checkup(tmp_path):
    # a stall no code cause explains, on data that simple models learn: the data is not to blame
    from unstuck.reportdata import Finding, Kind, Severity
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(ONE_SHUFFLE))
    capture = stall.capture_observer()
    report, trace = observe_and_diagnose(str(script), [], observers=[capture])
    report.findings = [Finding(rule="SY002", cause="loss-plateau", kind=Kind.SYMPTOM, severity=Severity.WARNING,
                               title="t", message="m", location=None)]
    checked = stall.check(report, trace, capture, command="train.py --epochs 3")
    assert [f.cause for f in checked.findings] == ["loss-plateau"]
    note = checked.notes[-1]
    assert "No code bug explains the stalled loss" in note and "unstuck checkup train.py --epochs 3" in note
    assert "simple models do learn" in note


@pytest.mark.slow
def test_unstuck_run_checks_the_data_and_the_json_says_so(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent(TWO_SHUFFLES))
    proc = subprocess.run([sys.executable, "-m", "unstuck", "run", "--no-log", "--quiet", "--json", "r.json",
                           "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    data = json.loads((tmp_path / "r.json").read_text())
    assert proc.returncode == 1, proc.stderr
    assert data["findings"][0]["cause"] == "label-misalignment"
    assert data["findings"][0]["evidence"]["relabelled"] > 0


MIXUP = HEAD + """
for epoch in range(3):
    for i in range(0, 1200, 60):
        xb, yb = torch.from_numpy(X[i:i + 60]), torch.from_numpy(y[i:i + 60])
        perm = torch.randperm(60)
        lam = 0.7
        out = model(lam * xb + (1 - lam) * xb[perm])       # mixup: two losses on one forward
        loss = lam * nn.functional.cross_entropy(out, yb) + (1 - lam) * nn.functional.cross_entropy(out, yb[perm])
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def test_mixup_pairs_no_input_with_another_label(tmp_path):
    report, capture = _run(tmp_path, MIXUP)
    ev = capture.labels.to_json()
    assert ev["reseen"] > 0 and ev["relabelled"] == 0, ev
    assert causes(report) == []


def test_positions_as_targets_are_not_sorted_labels():
    import torch

    from unstuck.checkup.capture import LabelEvidence
    ev = LabelEvidence()
    for _ in range(6):
        ev.batch(torch.arange(32))  # contrastive: each row's positive is its own index
    ev.batch(torch.tensor([0, 0, 1, 1, 1, 2, 2, 3, 3, 3]))  # sorted class labels
    assert ev.batches == 1 and ev.sorted_batches == 1
