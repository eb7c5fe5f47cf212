import pytest
from helpers import causes, diagnose_code, first_cause

from unstuck.findings import Severity

CLASSIFY = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 10)
y = (X[:, :3] @ torch.randn(3, 4)).argmax(1)
body = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4))
opt = torch.optim.Adam(body.parameters(), lr=1e-2)
for step in range(30):
    xb, yb = X[step % 8 * 64:(step % 8 + 1) * 64], y[step % 8 * 64:(step % 8 + 1) * 64]
    opt.zero_grad()
    {loss}
    loss.backward()
    opt.step()
"""


@pytest.mark.parametrize("loss,cause", [
    ("loss = F.cross_entropy(F.softmax(body(xb), dim=1), yb)", "double-softmax"),
    ("loss = nn.CrossEntropyLoss()(nn.Sigmoid()(body(xb)), yb)", "double-softmax"),  # a binary head reused
    ("loss = nn.CrossEntropyLoss()(nn.Softmax(dim=-1)(body(xb)), yb)", "double-softmax"),
    ("loss = F.nll_loss(torch.softmax(body(xb), 1), yb)", "nll-without-log-softmax"),
    ("loss = F.nll_loss(body(xb), yb)", "nll-without-log-softmax"),
    ("loss = F.nll_loss(F.log_softmax(body(xb), dim=0), yb)", "softmax-wrong-dim"),
    ("loss = F.nll_loss(torch.softmax(body(xb), 0).log(), yb)", "softmax-wrong-dim"),
])
def test_classification_loss_inputs(tmp_path, loss, cause):
    report = diagnose_code(tmp_path, CLASSIFY.format(loss=loss))
    assert first_cause(report) == cause
    assert report.findings[0].location.code == loss


@pytest.mark.parametrize("loss", [
    "loss = F.cross_entropy(body(xb), yb)",
    "loss = F.nll_loss(F.log_softmax(body(xb), dim=1), yb)",
    "loss = F.nll_loss(torch.softmax(body(xb), -1).log(), yb)",
])
def test_correct_classification_losses_are_silent(tmp_path, loss):
    assert causes(diagnose_code(tmp_path, CLASSIFY.format(loss=loss))) == []


def test_log_softmax_before_cross_entropy_is_info_only(tmp_path):
    report = diagnose_code(tmp_path, CLASSIFY.format(loss="loss = F.cross_entropy(F.log_softmax(body(xb), 1), yb)"))
    assert causes(report) == []
    assert [f.severity for f in report.findings if f.cause == "double-softmax"] == [Severity.INFO]


def test_log_softmax_over_time_axis_of_a_tagger(tmp_path):
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
B, T, V, C = 64, 9, 8, 5
tokens = torch.randn(B, T, V); tags = tokens[..., :C].argmax(-1)
model = nn.Sequential(nn.Linear(V, 16), nn.ReLU(), nn.Linear(16, C))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(20):
    logp = F.log_softmax(model(tokens), dim=1)
    loss = F.nll_loss(logp.reshape(-1, C), tags.reshape(-1))
    opt.zero_grad(); loss.backward(); opt.step()
""")
    assert first_cause(report) == "softmax-wrong-dim"
    assert "dim=1" in report.findings[0].message


BINARY = """
import torch, torch.nn as nn
torch.manual_seed(0)
X = torch.randn(512, 6); y = (X[:, :1] > 0).float()
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1){tail})
crit = {crit}
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(30):
    opt.zero_grad()
    loss = crit(model(X[:64]), y[:64])
    loss.backward(); opt.step()
"""


def test_sigmoid_into_bce_with_logits(tmp_path):
    report = diagnose_code(tmp_path, BINARY.format(tail=", nn.Sigmoid()", crit="nn.BCEWithLogitsLoss()"))
    assert first_cause(report) == "double-sigmoid"


@pytest.mark.parametrize("tail,crit", [("", "nn.BCEWithLogitsLoss()"), (", nn.Sigmoid()", "nn.BCELoss()")])
def test_matching_sigmoid_and_bce_are_silent(tmp_path, tail, crit):
    assert causes(diagnose_code(tmp_path, BINARY.format(tail=tail, crit=crit))) == []


REGRESS = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 4)
y = {target}
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1){tail})
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(40):
    opt.zero_grad()
    loss = F.mse_loss(model(X[:128]), y[:128])
    loss.backward(); opt.step()
"""


@pytest.mark.parametrize("tail,target", [
    (", nn.Tanh()", "3 + 2 * X[:, :1]"),                                     # tanh, targets up to ~9
    (", nn.Sigmoid()", "X[:, :1] * 2"),                                     # sigmoid, negative targets
    (", nn.ReLU()", "X[:, :1] - X[:, 1:2]"),                                 # relu, half the targets < 0
    (", nn.Softplus()", "X[:, :1]"),
])
def test_final_activation_cannot_reach_targets(tmp_path, tail, target):
    report = diagnose_code(tmp_path, REGRESS.format(tail=tail, target=target))
    assert first_cause(report) == "output-range-mismatch"


@pytest.mark.parametrize("tail,target", [
    (", nn.ReLU()", "torch.poisson(torch.exp(X[:, :1]))"),                   # counts: correct
    (", nn.Softplus()", "X[:, :1].exp()"),
    (", nn.Sigmoid()", "torch.sigmoid(X[:, :1] * 3)"),
    ("", "X[:, :1] * 3"),
])
def test_activation_matching_target_range_is_silent(tmp_path, tail, target):
    assert "output-range-mismatch" not in causes(diagnose_code(tmp_path, REGRESS.format(tail=tail, target=target)))


ATTENTION = """
import math, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
class Attn(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.emb = nn.Embedding(10, d); self.qkv = nn.Linear(d, 3 * d); self.head = nn.Linear(d, 3)
    def forward(self, ids):
        h = self.emb(ids)
        q, k, v = self.qkv(h).chunk(3, -1)
        scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1])
        h = h + {normalise} @ v
        return self.head(h.mean(1))
ids = torch.randint(0, 10, (192, 7)); y = ids[:, 0] % 3
model = Attn()
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(12):
    i = step % 4 * 48
    opt.zero_grad(); F.cross_entropy(model(ids[i:i + 48]), y[i:i + 48]).backward(); opt.step()
"""


def test_attention_scores_normalised_over_the_batch(tmp_path):
    report = diagnose_code(tmp_path, ATTENTION.format(normalise="scores.softmax(dim=0)"))
    assert first_cause(report) == "softmax-wrong-dim"
    assert "dim=0" in report.findings[0].message
    assert report.findings[0].location.code.startswith("h = h +")


def test_attention_scores_normalised_over_the_keys_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, ATTENTION.format(normalise="scores.softmax(dim=-1)"))) == []


def test_classifier_head_softmax_over_the_batch_then_log_of_a_shifted_value(tmp_path):
    report = diagnose_code(tmp_path, CLASSIFY.format(
        loss="probs = F.softmax(body(xb), dim=0); loss = F.nll_loss(torch.log(probs + 1e-9), yb)"))
    assert first_cause(report) == "softmax-wrong-dim"
    assert report.findings[0].location.code.startswith("probs = F.softmax")


@pytest.mark.parametrize("loss", [
    # symmetric InfoNCE: both axes of the [B, B] similarity matrix are the batch
    "s = body(xb) @ body(xb).T; loss = -(F.log_softmax(s, 0).diagonal().mean() + F.log_softmax(s, 1).diagonal().mean()) "
    "+ F.cross_entropy(body(xb), yb)",
    # listwise ranking: [B, 1] scores normalised over the list
    "loss = F.kl_div(F.log_softmax(body(xb)[:, :1], dim=0), F.softmax(yb[:, None].float(), dim=0), reduction='sum')",
])
def test_softmax_over_the_batch_by_design_is_silent(tmp_path, loss):
    assert "softmax-wrong-dim" not in causes(diagnose_code(tmp_path, CLASSIFY.format(loss=loss)))


def test_a_metric_on_detached_logits_after_training_does_not_hide_a_double_softmax(tmp_path):
    """The loss calls that trained (their gradient was taken) are judged; a cross_entropy of
    logits taken under no_grad, computed after training as a metric, is not one of them."""
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 10); y = (X[:, :3] @ torch.randn(3, 4)).argmax(1)
body = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 4))
opt = torch.optim.SGD(body.parameters(), lr=0.05)
for step in range(120):
    xb, yb = X[step % 8 * 64:(step % 8 + 1) * 64], y[step % 8 * 64:(step % 8 + 1) * 64]
    loss = F.cross_entropy(torch.softmax(body(xb), dim=1), yb)
    opt.zero_grad(); loss.backward(); opt.step()
with torch.no_grad():
    logits = body(X)
print("metric", F.cross_entropy(logits, y).item())
""")
    assert first_cause(report) == "double-softmax"
