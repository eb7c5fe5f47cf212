"""Replays of losses reached through ops after the model (checkup.chain): a normaliser between
the model's output and a built-in loss, and hand-written losses. The fixes edit the recorded
ops; healthy twins are left alone. Each script is watched with the capture, then replayed."""
import textwrap
import warnings

import torch

from unstuck.api import observe_and_diagnose
from unstuck.checkup.capture import CaptureObserver
from unstuck.checkup.confirm import confirm

REGRESSION = """
import torch
import torch.nn as nn
g = torch.Generator().manual_seed(3)
X = torch.randn(512, 6, generator=g)
y = X[:, 0] * 1.5 - X[:, 2] + 0.5 * X[:, 4] * X[:, 5]
torch.manual_seed(3)
net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for epoch in range(6):
    for i in range(0, 512, 64):
        pred = net(X[i:i + 64])
        loss = {loss}
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

CLASSIFIER = """
import torch
import torch.nn as nn
import torch.nn.functional as F
g = torch.Generator().manual_seed(5)
X = torch.randn(480, 8, generator=g)
y = (X[:, :4] @ torch.randn(4, 4, generator=g)).argmax(1)
torch.manual_seed(5)
clf = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 4))
opt = torch.optim.SGD(clf.parameters(), lr=0.1, momentum=0.9)
for epoch in range(5):
    for i in range(0, 480, 48):
        out = clf(X[i:i + 48])
        loss = F.nll_loss(F.log_softmax(out, {dim}), y[i:i + 48])
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

TAGGER = """
import torch
import torch.nn as nn
import torch.nn.functional as F
g = torch.Generator().manual_seed(7)
N, T, V, C = 320, 6, 10, 3
words = torch.randn(N, T, V, generator=g)
tags = (words[..., :C] * 2).argmax(-1)
torch.manual_seed(7)
tagger = nn.Sequential(nn.Linear(V, 24), nn.ReLU(), nn.Linear(24, C))
opt = torch.optim.Adam(tagger.parameters(), lr=5e-3)
for epoch in range(5):
    for i in range(0, N, 32):
        scores = tagger(words[i:i + 32]).log_softmax(dim={dim})   # [N, T, C]
        loss = F.nll_loss(scores.view(-1, C), tags[i:i + 32].view(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def _watch(tmp_path, code):
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(code))
    cap = CaptureObserver()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the broadcasts
        report, _ = observe_and_diagnose(str(path), observers=[cap])
    problem, reason = cap.problem()
    return report, problem, reason


def _causes(report):
    return {f.cause for f in report.findings if f.kind.value == "cause" and f.severity.value in ("error", "warning")}


def _confirm(cause, problem):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return confirm(cause, problem, seconds=30, steps=150)


def _params(model):
    return [p.detach().clone() for p in model.parameters()]


def test_a_hand_written_squared_error_with_a_broadcast_is_replayed_and_confirmed(tmp_path):
    report, problem, reason = _watch(tmp_path, REGRESSION.replace("{loss}", "((pred - y[i:i + 64]) ** 2).mean()"))
    assert "loss-broadcast" in _causes(report)
    assert reason is None and problem.loss_name.startswith("hand-written loss")
    assert problem.target.dim() == 1 and problem.n >= 256 and problem.pred_tail == (1,)
    # the replayed loss is the script's own: [64, 1] - [64] broadcast to [64, 64]
    model = problem.fresh()
    x, t = problem.subset(slice(0, 64))
    manual = ((model(*x) - t) ** 2).mean()
    assert torch.allclose(problem.loss(model, x, t), manual)
    before = _params(problem.model)
    c = _confirm("loss-broadcast", problem)
    assert c["status"] == "confirmed", c
    assert c["with_fix"]["score"] > c["as_written"]["score"] + 0.3
    assert all(torch.equal(a, b) for a, b in zip(before, _params(problem.model)))


def test_the_healthy_hand_written_loss_gets_no_claim_and_no_gain_from_the_fix(tmp_path):
    report, problem, reason = _watch(
        tmp_path, REGRESSION.replace("{loss}", "(pred.squeeze(1) - y[i:i + 64]).pow(2).mean()"))
    assert "loss-broadcast" not in _causes(report)
    assert reason is None and problem.pred_tail == ()
    c = _confirm("loss-broadcast", problem)
    assert c["status"] == "not-confirmed", c


def test_a_hand_written_loss_that_is_not_a_difference_says_why(tmp_path):
    _, problem, reason = _watch(tmp_path, REGRESSION.replace("{loss}", "torch.tanh(pred - y[i:i + 64]).abs().sum()"))
    assert problem is None and "hand-written loss is not replayed" in reason and "tanh" in reason
    _, problem, reason = _watch(tmp_path, REGRESSION.replace("{loss}", "-(pred.squeeze(1) * y[i:i + 64]).mean()"))
    assert problem is None and "by `*`" in reason


def test_a_log_softmax_over_the_batch_is_replayed_over_the_class_axis(tmp_path):
    report, problem, reason = _watch(tmp_path, CLASSIFIER.replace("{dim}", "0"))
    assert "softmax-wrong-dim" in _causes(report)
    assert reason is None and problem.loss_name == "nll_loss" and problem.pred_tail == (4,)
    assert [(s.kind, s.name, s.arg) for s in problem.head] == [("norm", "log_softmax", 0)]
    c = _confirm("softmax-wrong-dim", problem)
    # replayed; the judgement is the replay's: scored on the model's own class scores, a
    # classifier trained with the batch-normalised loss still ranks classes about as well
    assert c["status"] in ("confirmed", "not-confirmed") and c["steps"] >= 100, c
    assert "log_softmax(dim=1)" in c["fix_applied"]


def test_the_healthy_classifier_has_nothing_to_move(tmp_path):
    report, problem, reason = _watch(tmp_path, CLASSIFIER.replace("{dim}", "1"))
    assert "softmax-wrong-dim" not in _causes(report)
    assert reason is None and problem.head[0].arg == 1
    c = _confirm("softmax-wrong-dim", problem)
    assert c["status"] == "not-tried" and "already runs over the class axis" in c["reason"]


def test_a_tagger_normalising_over_time_is_replayed_through_its_view(tmp_path):
    report, problem, reason = _watch(tmp_path, TAGGER.replace("{dim}", "-2"))
    assert "softmax-wrong-dim" in _causes(report)
    assert reason is None and problem.rows_per_sample == 6 and problem.target.shape[1:] == (6,)
    assert [s.kind for s in problem.head] == ["norm", "view"] and problem.head[0].arg == 1
    c = _confirm("softmax-wrong-dim", problem)
    assert c["status"] in ("confirmed", "not-confirmed"), c  # replayed: the judgement is the replay's
    assert "log_softmax(dim=2)" in c["fix_applied"]
    report, problem, _ = _watch(tmp_path, TAGGER.replace("{dim}", "-1"))
    assert "softmax-wrong-dim" not in _causes(report)
    assert _confirm("softmax-wrong-dim", problem)["status"] == "not-tried"
