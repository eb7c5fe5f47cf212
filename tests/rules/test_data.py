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


@pytest.mark.parametrize("model", [
    "nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))",
    "Standardised(X.mean(0), X.std(0))",
])
def test_model_that_standardises_raw_inputs_itself_is_silent(tmp_path, model):
    setup = """X = X * 300 + 1000; y = (X[:, :1] - 1000) / 300
class Standardised(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean, self.std = mean, std
        self.net = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
    def forward(self, x):
        return self.net((x - self.mean) / self.std)"""
    assert causes(diagnose_code(tmp_path, TEMPLATE.format(setup=setup, model=model))) == []


@pytest.mark.parametrize("head", [
    "with torch.no_grad(): model[-1].bias.fill_(float(y.mean()))",  # output bias at the target mean
    "model = DeNorm(model, y.mean(), y.std())",                       # the head maps back to target units
])
def test_model_already_at_the_targets_scale_is_silent(tmp_path, head):
    code = TEMPLATE.format(setup="y = 290 + 3 * X[:, :1]", model=MLP).replace(
        "opt = torch.optim", f"""class DeNorm(nn.Module):
    def __init__(self, body, mu, sigma):
        super().__init__()
        self.body, self.mu, self.sigma = body, mu, sigma
    def forward(self, x):
        return self.body(x) * self.sigma + self.mu
{head}
opt = torch.optim""")
    assert causes(diagnose_code(tmp_path, code)) == []


TOKENS = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
ids = torch.randint(0, 20, (256, 8)); y = (ids < 5).sum(1).clamp(max=2)
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16); self.fc = nn.Linear(16, 3)
    def forward(self, ids):
        positions = torch.arange(ids.shape[1]).expand_as(ids)
        return self.fc(self.emb({lookup}).mean(1))
model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(12):
    i = step % 4 * 64
    opt.zero_grad(); F.cross_entropy(model(ids[i:i + 64]), y[i:i + 64]).backward(); opt.step()
"""


def test_embedding_indexed_by_positions_instead_of_tokens(tmp_path):
    report = diagnose_code(tmp_path, TOKENS.format(lookup="positions"))
    assert first_cause(report) == "input-ignored"


def test_embedding_indexed_by_tokens_is_silent(tmp_path):
    assert "input-ignored" not in causes(diagnose_code(tmp_path, TOKENS.format(lookup="ids")))


def test_max_pooled_unbatched_bag_is_silent(tmp_path):
    """A permutation-invariant set model: reordering a bag's rows does not change its output, by design."""
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
embed, head = nn.Sequential(nn.Linear(4, 16), nn.ReLU()), nn.Linear(16, 1)
class Bag(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.head = embed, head
    def forward(self, bag):                      # [N, F], no batch axis
        return self.head(self.embed(bag).max(0).values)
bagnet = Bag()
opt = torch.optim.Adam(bagnet.parameters(), lr=1e-2)
for step in range(20):
    bag = torch.randn(7, 4); label = (bag[:, :1].max() > 1).float().reshape(1)
    opt.zero_grad(); F.binary_cross_entropy_with_logits(bagnet(bag), label).backward(); opt.step()
""")
    assert "input-ignored" not in causes(report)


TIMESTEP = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 32), nn.SiLU(), nn.Linear(32, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(60):
    x0 = torch.randn(128, 2); eps = torch.randn(128, 2)
    t = torch.randint(0, 50, (128,))
    xt = 0.9 * x0 + 0.4 * eps
    inp = torch.cat([xt, t.float().unsqueeze(1)], dim=1)   # the timestep as a raw integer feature
    loss = F.mse_loss(model(inp), eps)
    opt.zero_grad(); loss.backward(); opt.step()
"""


def test_a_lone_integer_timestep_feature_is_no_unscaled_input(tmp_path):
    assert "unscaled-inputs" not in causes(diagnose_code(tmp_path, TIMESTEP))
    # a second raw feature makes the inputs unscaled data again
    bug = TIMESTEP.replace("xt = 0.9 * x0 + 0.4 * eps", "xt = 300 + 100 * (0.9 * x0 + 0.4 * eps)")
    assert "unscaled-inputs" in causes(diagnose_code(tmp_path, bug))
