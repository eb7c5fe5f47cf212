from helpers import REGRESSION, causes, diagnose_code

from unstuck.findings import Kind


def test_collapse_and_plateau_are_symptoms_linked_to_their_cause(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
for step in range(150):
    opt.zero_grad()
    loss = F.mse_loss(model(X), y.squeeze(-1))
    loss.backward()
    opt.step()
""")
    found = causes(report)
    assert found[0] == "loss-broadcast"
    assert {"prediction-collapse", "loss-plateau"} <= set(found)
    assert set(report.findings[0].explains) >= {"prediction-collapse", "loss-plateau"}
    assert all(f.kind is Kind.SYMPTOM for f in report.findings[1:])


def test_a_learning_model_shows_no_symptom(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + """
for step in range(150):
    opt.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    opt.step()
""")
    assert causes(report) == []


def test_classifier_stuck_on_one_class(tmp_path):
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 6); y = (X[:, 0] > 0).long()
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
with torch.no_grad():
    model[2].bias.copy_(torch.tensor([8.0, -8.0]))
for p in list(model.parameters())[:-1]:
    p.requires_grad = False
opt = torch.optim.SGD([model[2].bias], lr=1e-4)
for step in range(60):
    opt.zero_grad()
    loss = F.cross_entropy(model(X[:128]), y[:128])
    loss.backward(); opt.step()
""")
    assert "prediction-collapse" in causes(report)


def test_a_learning_classifier_shows_no_symptom(tmp_path):
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 6); y = (X[:, 0] > 0).long()
model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(60):
    opt.zero_grad()
    loss = F.cross_entropy(model(X[:128]), y[:128])
    loss.backward(); opt.step()
""")
    assert causes(report) == []


def test_summed_and_reweighted_losses_are_compared_fairly(tmp_path):
    base = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 8); y = (X[:, :4].sum(1, keepdim=True) > 0).float().expand(512, 16).contiguous()
model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 16))
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(120):
    xb, yb = X[step % 8 * 64:(step % 8 + 1) * 64], y[step % 8 * 64:(step % 8 + 1) * 64]
    loss = LOSS
    opt.zero_grad(); loss.backward(); opt.step()
"""
    for loss in ('F.binary_cross_entropy_with_logits(model(xb), yb, reduction="sum") / len(xb)',
                 'F.binary_cross_entropy_with_logits(model(xb), yb, pos_weight=torch.full((16,), 3.0))'):
        assert causes(diagnose_code(tmp_path, base.replace("LOSS", loss))) == [], loss
    # a model that learns nothing stays at the summed constant's level: still a plateau
    stuck = base.replace("LOSS", 'F.binary_cross_entropy_with_logits(model(xb) * 0 + model[2].bias, yb, '
                                 'reduction="sum") / len(xb)')
    assert "loss-plateau" in causes(diagnose_code(tmp_path, stuck))


def test_models_trained_one_after_another_are_judged_on_the_last(tmp_path):
    code = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 8); y = (X[:, 0] * X[:, 1] > 0).long()
for fold in range(4):
    model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for step in range(70):
        xb, yb = X[step % 8 * 64:(step % 8 + 1) * 64], y[step % 8 * 64:(step % 8 + 1) * 64]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
"""
    assert causes(diagnose_code(tmp_path, code)) == []


def test_two_losses_on_one_line_are_not_mixed(tmp_path):
    # a supervised loss and a consistency loss against an EMA teacher's output, summed on one
    # line: each has its own constant level, and the supervised one (the line's first) is judged
    report = diagnose_code(tmp_path, """
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 8)
Y = X[:, :1] * 2 - X[:, 1:2] + 0.5 * X[:, 2:3] * X[:, 3:4] + 0.05 * torch.randn(512, 1)
student = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 1))
teacher = copy.deepcopy(student).requires_grad_(False)
opt = torch.optim.Adam(student.parameters(), lr=1e-2)
for step in range(60):
    i = (step * 64) % 512
    xb, yb = X[i:i + 64], Y[i:i + 64]
    s = student(xb)
    with torch.no_grad():
        t = teacher(xb + 0.05 * torch.randn_like(xb))
    loss = F.mse_loss(s, yb) + 0.5 * F.mse_loss(s, t)
    opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        for pt, ps in zip(teacher.parameters(), student.parameters()):
            pt.lerp_(ps, 0.01)
""")
    assert "loss-plateau" not in causes(report)
