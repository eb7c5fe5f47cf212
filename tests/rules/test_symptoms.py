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
