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
