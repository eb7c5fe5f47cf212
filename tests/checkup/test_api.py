"""`unstuck.checkup(...)` from Python, and the promise behind every mode: the user's model,
optimizer and RNG streams are as they were after a checkup."""
import random
import textwrap

import numpy as np
import pytest
import torch
from torch import nn

import unstuck


def data(n=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    return x, x[:, :1] - 2 * x[:, 1:2]


def test_python_api_reports_the_experiments_and_leaves_everything_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = data()
    opt.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()  # the optimizer has state
    params = [p.detach().clone() for p in model.parameters()]
    state = {k: {n: torch.as_tensor(v).clone() for n, v in s.items()} for k, s in opt.state_dict()["state"].items()}
    rng, py, npy = torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy()
    model.train()

    report = unstuck.checkup(model, (x, y), nn.MSELoss(), lambda ps: torch.optim.Adam(ps, lr=1e-2), budget=60,
                             batch_size=32)

    assert all(torch.equal(a, b) for a, b in zip(params, model.parameters()))
    assert model.training and all(p.grad is not None for p in model.parameters())
    for k, s in opt.state_dict()["state"].items():
        for n, v in s.items():
            assert torch.equal(torch.as_tensor(v), state[k][n])
    assert torch.equal(rng, torch.get_rng_state()) and random.getstate() == py
    assert np.array_equal(npy, np.random.get_state()[1])
    ck = report.checkup
    assert ck["task"] == "regression" and ck["verdict"]["kind"] == "healthy", ck["verdict"]
    assert [r["samples"] for r in ck["overfit"]][:3] == [1, 2, 4]
    assert {b["name"] for b in ck["baselines"]} == {"constant", "linear", "boosted trees", "kNN"}
    assert ck["network"]["score"] > 0.8 and ck["lr_range"]["suggestion"]
    assert not report.diagnosis


def test_python_api_names_the_same_code_cause_as_run():
    # the seed's bug: the prediction [N, 1] against a target [N]
    torch.manual_seed(0)
    x = torch.randn(512, 11)
    y = x @ torch.randn(11)
    model = nn.Sequential(nn.Linear(11, 64), nn.ReLU(), nn.Linear(64, 1))
    with pytest.warns(UserWarning):  # torch's own broadcast warning, from the replayed loss
        report = unstuck.checkup(model, (x, y), nn.MSELoss(), budget=20)
    roots = [f for f in report.findings if f.kind.value == "cause" and not f.caused_by]
    assert roots and roots[0].cause == "loss-broadcast", [f.cause for f in report.findings]
    assert roots[0].location.file.endswith("test_api.py")  # the checkup(...) call, not the tool's code
    assert report.checkup["verdict"]["kind"] == "bug" and "loss-broadcast" in report.checkup["verdict"]["summary"]


def test_the_python_checkups_short_watched_training_does_not_judge_a_stall():
    # an imbalanced but learnable task: 60 watched steps are too few to call a stall
    torch.manual_seed(0)
    x = torch.randn(2000, 20)
    y = ((x @ torch.randn(20)) > 2.2).long()
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 2))
    report = unstuck.checkup(model, (x, y), nn.functional.cross_entropy, batch_size=64, budget=8)
    assert not report.diagnosis and report.checkup["verdict"]["kind"] == "healthy"


SCRIPT = """
import builtins, torch
import torch.nn as nn
torch.manual_seed(0)
X = torch.randn(256, 3); y = (X[:, 0] > 0).long()
model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(3):
    for i in range(0, 256, 32):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
builtins._unstuck_test_held = (model, opt, [p.detach().clone() for p in model.parameters()],
                               {k: v["momentum_buffer"].clone() for k, v in opt.state_dict()["state"].items()},
                               torch.get_rng_state())
"""


@pytest.mark.slow
def test_script_checkup_captures_the_run_and_leaves_the_users_objects_alone(tmp_path):
    import builtins

    from unstuck.checkup import checkup_script
    (tmp_path / "train.py").write_text(textwrap.dedent(SCRIPT))
    try:
        report = checkup_script(str(tmp_path / "train.py"), budget=60, progress=False)
        model, opt, params, momentum, rng = builtins._unstuck_test_held
    finally:
        builtins.__dict__.pop("_unstuck_test_held", None)
    assert all(torch.equal(a, b) for a, b in zip(params, model.parameters()))
    for k, v in opt.state_dict()["state"].items():
        assert torch.equal(v["momentum_buffer"], momentum[k])
    assert torch.equal(rng, torch.get_rng_state())
    ck = report.checkup
    assert ck["samples"] == 256 and ck["task"] == "classification" and ck["loss"] == "cross_entropy"
    assert ck["optimizer"] == "SGD" and ck["optimizers"][0]["name"] == "SGD (yours)"
    assert ck["optimizers"][0]["lr"] == 0.1
    assert ck["verdict"]["kind"] == "healthy", ck["verdict"]
    assert not report.diagnosis
