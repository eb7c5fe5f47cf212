"""The step log: one row per optimizer step, lr as the scheduler set it, bounded size."""
import json
import textwrap

import pytest

from unstuck.api import observe_and_diagnose
from unstuck.logbook.steplog import StepLog, read_steplog

SCHEDULED = """
import json, sys
import torch, torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
x = torch.randn(256, 6); y = x[:, :1] * 2 - x[:, 1:2]
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.01}], lr=0.05)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
losses, lrs = [], []
for epoch in range(int(sys.argv[2])):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        losses.append(loss.item())
        sched.step()
    with torch.no_grad():  # evaluation: its loader iteration is not an epoch
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=128):
            model(xb)
json.dump({"losses": losses, "lrs": lrs}, open(sys.argv[1], "w"))
"""


def run(tmp_path, code, args=(), **options):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    return observe_and_diagnose(str(script), list(args), **options)


def test_one_row_per_step_with_the_scripts_loss_lr_and_epoch(tmp_path):
    log = StepLog(str(tmp_path / "steps.jsonl"), flush_every=7)
    run(tmp_path, SCHEDULED, [str(tmp_path / "truth.json"), "3"], observers=[log])
    truth = json.loads((tmp_path / "truth.json").read_text())
    header, rows = read_steplog(str(tmp_path / "steps.jsonl"))
    assert header["unstuck_steplog"] == 1 and not header.get("downsampled")
    assert [r["step"] for r in rows] == list(range(1, 25))
    assert rows == log.rows
    assert [r["loss"] for r in rows] == pytest.approx(truth["losses"], rel=1e-6)
    assert [r["lr"] for r in rows] == truth["lrs"]
    assert rows[0]["lr"] == [0.05, 0.01] and rows[10]["lr"] == [0.025, 0.005]
    assert [r["epoch"] for r in rows] == [1] * 8 + [2] * 8 + [3] * 8
    assert rows[-1]["time"] >= rows[0]["time"] >= 0


def test_sampled_steps_carry_per_layer_gradient_and_update_ratio(tmp_path):
    log = StepLog()
    run(tmp_path, SCHEDULED, [str(tmp_path / "truth.json"), "2"], observers=[log])
    sampled = [r for r in log.rows if r.get("sampled")]
    plain = [r for r in log.rows if not r.get("sampled")]
    assert sampled and plain
    first = sampled[0]
    assert set(first["layers"]) == {"model.0.weight", "model.2.weight"}
    for layer in first["layers"].values():
        assert layer["grad_norm"] > 0 and 0 < layer["update_ratio"] < 1
    assert first["grad_norm"] > 0 and first["update_ratio"] > 0
    assert "layers" not in plain[0]


def test_max_steps_keeps_the_last_step(tmp_path):
    log = StepLog()
    run(tmp_path, SCHEDULED, [str(tmp_path / "truth.json"), "3"], observers=[log], max_steps=5)
    assert [r["step"] for r in log.rows] == [1, 2, 3, 4, 5]
    assert all(r["loss"] is not None for r in log.rows)


def test_closure_optimizer_logs_the_closures_loss(tmp_path):
    log = StepLog()
    run(tmp_path, """
        import torch
        torch.manual_seed(0)
        w = torch.nn.Parameter(torch.randn(3))
        opt = torch.optim.LBFGS([w], lr=0.5, max_iter=4)
        def closure():
            opt.zero_grad()
            loss = ((w - 1) ** 2).sum()
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
        """, observers=[log])
    assert len(log.rows) == 3
    losses = [r["loss"] for r in log.rows]
    assert all(v is not None for v in losses) and losses[-1] < losses[0]


def test_two_optimizers_are_told_apart(tmp_path):
    log = StepLog()
    run(tmp_path, """
        import torch, torch.nn as nn
        torch.manual_seed(0)
        g, d = nn.Linear(2, 2), nn.Linear(2, 1)
        og, od = torch.optim.Adam(g.parameters(), 1e-3), torch.optim.SGD(d.parameters(), 0.1)
        for _ in range(4):
            od.zero_grad(); d(g(torch.randn(8, 2)).detach()).mean().backward(); od.step()
            og.zero_grad(); (-d(g(torch.randn(8, 2)))).mean().backward(); og.step()
        """, observers=[log])
    assert [r["opt"] for r in log.rows] == [0, 1] * 4
    assert [r["lr"] for r in log.rows[:2]] == [[0.1], [1e-3]]


def test_long_runs_are_thinned_oldest_first_and_say_so(tmp_path):
    path = tmp_path / "steps.jsonl"
    log = StepLog(str(path), max_rows=16, flush_every=5)
    in_memory = StepLog(max_rows=16, flush_every=5)
    run(tmp_path, """
        import torch
        w = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([w], lr=0.01)
        for _ in range(100):
            opt.zero_grad(); (w ** 2).sum().backward(); opt.step()
        """, observers=[log, in_memory])
    header, rows = read_steplog(str(path))
    assert rows == log.rows and len(rows) <= 16
    assert [r["step"] for r in in_memory.rows] == [r["step"] for r in rows]  # without a file: the same rows
    assert in_memory.header() == header
    steps = [r["step"] for r in rows]
    assert steps == sorted(steps) and steps[0] == 1 and steps[-1] == 100
    assert header["downsampled"] and "thinned" in header["note"]
    newest = [s for s in steps if s >= header["thinned_before_step"]]
    assert newest == list(range(newest[0], 101))  # the latest steps keep full resolution
    gaps = [b - a for a, b in zip(steps, steps[1:])]
    assert gaps[0] >= gaps[-1]  # the oldest part is the sparsest


def test_the_api_keeps_no_files_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run(tmp_path, SCHEDULED, [str(tmp_path / "truth.json"), "1"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py", "truth.json"]


def test_tensorboard_event_files(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    log = StepLog(str(tmp_path / "steps.jsonl"), tensorboard_dir=str(tmp_path / "tb"))
    run(tmp_path, SCHEDULED, [str(tmp_path / "truth.json"), "2"], observers=[log])
    acc = EventAccumulator(str(tmp_path / "tb"))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert "loss" in tags and "lr/group0" in tags and "lr/group1" in tags
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == list(range(1, 17))
    assert [e.value for e in loss] == pytest.approx([r["loss"] for r in log.rows], rel=1e-5)
    assert any(t.startswith("grad_norm/") for t in tags)
