"""Facts the optimizer observer records on watched steps."""
import math

import pytest
import torch
import torch.nn as nn

from unstuck.observe.sampling import PROFILES
from unstuck.observe.session import Session
from tests.helpers import causes, diagnose_code


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "sparse"])
def test_update_ratio_matches_the_exact_one(optimizer):
    """Measured on an evenly spaced sample of each large parameter, the update ratio (global
    and per layer) stays close to the exact one, a sparse row update included."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Embedding(500, 64, sparse=optimizer == "sparse"), nn.Flatten(), nn.Linear(4 * 64, 300),
                          nn.Tanh(), nn.Linear(300, 1))
    params = list(model.parameters())
    if optimizer == "sparse":
        opt = torch.optim.SparseAdam(params[:1], lr=0.05)
        params = params[:1]
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=1e-3)
    else:
        opt = torch.optim.SGD(params, lr=0.5)
    session = Session("<test>", sampling=PROFILES["full"], probes=False)
    session.start()
    exact = []
    try:
        for _ in range(4):
            tokens = torch.randint(0, 500, (32, 4))
            opt.zero_grad()
            model(tokens).pow(2).mean().backward()
            before = [p.detach().clone() for p in params]
            opt.step()
            diff = math.sqrt(sum(float((p.detach() - b).pow(2).sum()) for p, b in zip(params, before)))
            norm = math.sqrt(sum(float(b.pow(2).sum()) for b in before))
            layers = [math.sqrt(float((p.detach() - b).pow(2).sum()) / float(b.pow(2).sum()))
                      for p, b in zip(params, before) if p.dim() >= 2]
            exact.append((diff / norm, layers))
    finally:
        session.stop()
    steps = session.trace.steps
    assert len(steps) == 4
    for rec, (ratio, layers) in zip(steps, exact):
        assert rec.update_ratio == pytest.approx(ratio, rel=0.25)
        assert [r for _, r in rec.layer_update_ratios] == pytest.approx(layers, rel=0.25)


def test_update_sample_visits_every_column_of_power_of_two_weights():
    """A (4096, 1024) weight whose first input is always zero: its column gets no update. A
    stride that is a multiple of the row would sample only that column (ratio 0)."""
    torch.manual_seed(0)
    layer = nn.Linear(1024, 4096)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    session = Session("<test>", sampling=PROFILES["full"], probes=False)
    session.start()
    try:
        x = torch.randn(8, 1024)
        x[:, 0] = 0.0
        opt.zero_grad()
        layer(x).pow(2).mean().backward()
        before = layer.weight.detach().clone()
        opt.step()
        exact = float((layer.weight.detach() - before).norm() / before.norm())
    finally:
        session.stop()
    (rec,) = session.trace.steps
    weight_ratio = dict(rec.layer_update_ratios)[id(layer.weight)]
    assert weight_ratio == pytest.approx(exact, rel=0.25)


def test_the_lr_of_every_step_is_kept_as_doubles():
    """One lr per step for the schedule rules: 8 bytes a step, not a float object each."""
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=50)
    session = Session("<test>", probes=False)
    session.start()
    try:
        for _ in range(50):
            opt.zero_grad()
            model(torch.randn(4, 3)).pow(2).mean().backward()
            opt.step()
            sched.step()
    finally:
        session.stop()
    (rec,) = session.trace.optimizers.values()
    assert len(rec.lrs) == 50 and rec.lrs.itemsize == 8 and rec.lrs.typecode == "d"
    assert max(rec.lrs) == pytest.approx(0.1, rel=0.05) and rec.lrs[-1] < 1e-3


def test_an_optimizer_whose_id_a_later_one_reuses_keeps_its_steps(tmp_path):
    """Models rebuilt in a loop: a freed optimizer's id is soon reused by a new one. The old
    optimizer's steps still count, so its parameters are not 'in no optimizer'."""
    report = diagnose_code(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(64, 8); y = (X[:, 0] * X[:, 1] > 0).long()
seen, reused = set(), 0
for fold in range(400):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    reused += id(opt) in seen
    seen.add(id(opt))
    for step in range(3):
        loss = F.cross_entropy(model(X), y)
        opt.zero_grad(); loss.backward(); opt.step()
    if reused >= 3:
        break
assert reused >= 3, "no id was reused: the test proves nothing"
""")
    assert report.script_error is None
    assert "params-not-optimized" not in causes(report)


def test_norms_are_read_together_and_match_each_tensors_norm():
    import torch

    from unstuck.observe.optimizers import _norms
    dense = torch.randn(30, 20)
    half = (torch.randn(1000) * 300).half()  # its squares overflow float16: read in float32
    double = torch.randn(7, dtype=torch.float64) * 1e200
    sparse = torch.sparse_coo_tensor(torch.tensor([[0, 0, 2]]), torch.tensor([1.0, 2.0, 4.0]), (5,))  # a repeated row
    got = _norms([dense, half, double, sparse])
    assert got[0] == pytest.approx(float(dense.norm()), rel=1e-6)
    assert got[1] == pytest.approx(float(half.float().norm()), rel=1e-3)
    assert got[2] == pytest.approx(float(double.norm()), rel=1e-12)  # float64 stays float64
    assert got[3] == pytest.approx(5.0)  # rows 0 summed (3) and 2 (4)
    assert _norms([]) == []
