"""Where the mistake is: module construction, `model.eval()` and `requires_grad_(False)` calls,
for a model defined in another file than the training loop."""
import os
import sys
import textwrap

from helpers import diagnose_code

MODEL = """
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, head):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2))
        self.fc = nn.Linear(32, 3)
        self.head = head

    def forward(self, x):
        return self.head(self.fc(self.body(x)))


def build():
    return Net(nn.Softmax(dim=1))
"""

TRAIN = """
import torch
import torch.nn as nn
from mymodel import Net, build
torch.manual_seed(0)
X = torch.randn(512, 6)
y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
model = {model}
{before}
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    for i in range(0, 512, 64):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X[i:i + 64]), y[i:i + 64])
        loss.backward()
        opt.step()
"""


def run(tmp_path, model="build()", before=""):
    (tmp_path / "mymodel.py").write_text(textwrap.dedent(MODEL))
    sys.modules.pop("mymodel", None)
    try:
        return diagnose_code(tmp_path, TRAIN.format(model=model, before=before))
    finally:
        sys.modules.pop("mymodel", None)


def at(loc):
    return os.path.basename(loc.file), loc.line


def first(report, cause):
    return next(f for f in report.findings if f.cause == cause)


def test_softmax_head_points_at_its_construction_in_the_model_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = first(run(tmp_path), "double-softmax")
    assert at(f.location) == ("mymodel.py", 17)
    assert "nn.Softmax(dim=1)" in f.location.code
    assert at(f.shows_at) == ("train.py", 14)
    assert f.to_json()["shows_at"]["line"] == 14 and f.to_json()["location"]["line"] == 17


def test_eval_mode_points_at_the_eval_call(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = run(tmp_path, model="Net(nn.Identity())", before="model.eval()")
    f = first(report, "eval-mode-training")
    assert at(f.location) == ("train.py", 9) and f.location.code == "model.eval()"
    assert f.shows_at.line == 16  # opt.step()


def test_train_call_after_eval_clears_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = run(tmp_path, model="Net(nn.Identity())", before="model.eval()\nmodel.train()")
    assert "eval-mode-training" not in [f.cause for f in report.findings]


def test_frozen_params_point_at_the_freezing_call(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = run(tmp_path, model="Net(nn.Identity())",
                 before="model.requires_grad_(False)\nmodel.fc.bias.requires_grad_(True)")
    f = first(report, "frozen-params")
    assert (f.location.line, f.location.code) == (9, "model.requires_grad_(False)")
    assert f.shows_at.line == 11  # the optimizer that was handed the frozen parameters


def test_a_users_own_module_is_located_where_it_is_instantiated(tmp_path):
    from unstuck.observe.session import Session
    (tmp_path / "m.py").write_text("import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                                   "        super().__init__()\n        self.act = nn.Tanh()\n")
    import importlib.util
    spec = importlib.util.spec_from_file_location("m_for_sites", tmp_path / "m.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    session = Session("t.py", probes=False)
    session.start()
    try:
        net = mod.Net()  # this line
        sites = session.sites
        here = sites.defined_at(net)
        inner = sites.defined_at(net.act)
    finally:
        session.stop()
    assert here is not None and here.code == "net = mod.Net()  # this line"
    assert inner is not None and inner.line == 5 and inner.file.endswith("m.py")
