import pytest
from helpers import causes, diagnose_code, first_cause

TEMPLATE = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(512, 4)
{setup}
model = {model}
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(30):
    opt.zero_grad()
    loss = F.mse_loss(model(X[:128]), y[:128])
    loss.backward(); opt.step()
"""
MLP = "nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))"


@pytest.mark.parametrize("setup", [
    "X = X * 300 + 1000; y = X[:, :1] / 1000",                # prices, years: large scale
    "X[:, 0] *= 0.001; X[:, 1] *= 50; y = X[:, 1:2] / 50",     # very different scales
])
def test_unscaled_inputs(tmp_path, setup):
    report = diagnose_code(tmp_path, TEMPLATE.format(setup=setup, model=MLP))
    assert first_cause(report) == "unscaled-inputs"


@pytest.mark.parametrize("setup", [
    "y = 50_000 + 8_000 * X[:, :1]",          # salaries
    "y = 290 + 3 * X[:, :1]",                 # temperatures in Kelvin: a large offset
])
def test_unscaled_targets(tmp_path, setup):
    report = diagnose_code(tmp_path, TEMPLATE.format(setup=setup, model=MLP))
    assert first_cause(report) == "unscaled-targets"


def test_scaled_data_is_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, TEMPLATE.format(setup="y = 2 * X[:, :1] + 0.5", model=MLP))) == []


IGNORING = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
        self.register_buffer("proto", torch.randn(1, 4))
    def forward(self, x):
        {forward}
model = Net()
"""


@pytest.mark.parametrize("forward", [
    "return self.body(x * (x.abs() > 1e6).float())",
    "return self.body(self.proto.expand(x.shape[0], -1))",
])
def test_input_ignored(tmp_path, forward):
    code = TEMPLATE.format(setup="y = X[:, :1] * 2" + IGNORING.format(forward=forward), model="model")
    report = diagnose_code(tmp_path, code)
    assert first_cause(report) == "input-ignored"


def test_input_used_is_silent(tmp_path):
    code = TEMPLATE.format(setup="y = X[:, :1] * 2" + IGNORING.format(forward="return self.body(x + self.proto)"),
                           model="model")
    assert causes(diagnose_code(tmp_path, code)) == []
