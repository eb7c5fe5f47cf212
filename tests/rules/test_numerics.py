from helpers import REGRESSION, causes, diagnose_code, first_cause

TRAIN = """
for step in range(30):
    opt.zero_grad()
    loss = F.mse_loss(model(X[:64]), y[:64])
    loss.backward()
    opt.step()
"""


def test_inf_in_targets(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + "y[3, 0] = float('-inf')\n" + TRAIN)
    assert first_cause(report) == "data-nonfinite"
    assert "nonfinite-values" in causes(report)
    symptom = next(f for f in report.findings if f.cause == "nonfinite-values")
    assert symptom.kind.value == "symptom"
    assert "nonfinite-values" in report.findings[0].explains


def test_nan_in_inputs(tmp_path):
    report = diagnose_code(tmp_path, REGRESSION + "X[5, 2] = float('nan')\n" + TRAIN)
    assert first_cause(report) == "data-nonfinite"
    assert "input" in report.findings[0].message


def test_finite_data_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, REGRESSION + TRAIN)) == []
