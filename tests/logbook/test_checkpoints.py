"""Checkpoints: descriptive names, last k plus the best, atomic writes, weights_only loading, resume."""
import json
import os

import pytest
import torch
import torch.nn as nn

import unstuck
from unstuck.cli import main
from unstuck.logbook.checkpoints import Checkpointer, checkpoint_filename


def model_and_opt(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return model, opt


def train(model, opt, steps, ckpt=None, start=0):
    for step in range(start, steps):
        x = torch.randn(16, 3, generator=torch.Generator().manual_seed(step))  # the data of step `step`
        opt.zero_grad()
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        loss.backward()
        opt.step()
        if ckpt is not None:
            ckpt.step(loss=loss.item())


def test_names_say_script_step_epoch_and_loss():
    assert checkpoint_filename("train", 300, 2, 0.04213) == "train-step0000300-epoch2-loss0.04213.pt"
    assert checkpoint_filename("my run!", 5) == "my_run-step0000005.pt"
    assert checkpoint_filename("x", 1, None, float("nan")) == "x-step0000001-lossnan.pt"


def test_keeps_the_last_k_and_the_best(tmp_path):
    model, opt = model_and_opt()
    ckpt = Checkpointer(str(tmp_path), keep=2, name="run", model=model, optimizer=opt)
    for step, loss in [(10, 0.5), (20, 0.1), (30, 0.4), (40, 0.3), (50, 0.35)]:
        ckpt.save(step, loss=loss)
    kept = sorted(f for f in os.listdir(tmp_path) if f.endswith(".pt"))
    assert kept == ["run-step0000020-loss0.1.pt", "run-step0000040-loss0.3.pt", "run-step0000050-loss0.35.pt"]
    index = json.loads((tmp_path / "checkpoints.json").read_text())
    assert index["best"] == "run-step0000020-loss0.1.pt" and index["latest"] == "run-step0000050-loss0.35.pt"
    assert ckpt.best().endswith("loss0.1.pt") and ckpt.latest().endswith("step0000050-loss0.35.pt")
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_files_load_with_weights_only_and_hold_every_state(tmp_path):
    model, opt = model_and_opt()
    train(model, opt, 3)
    path = Checkpointer(str(tmp_path), model=model, optimizer=opt).save(3, loss=0.2, epoch=1)
    data = torch.load(path, weights_only=True)
    assert data["step"] == 3 and data["epoch"] == 1 and data["loss"] == 0.2
    for k, v in model.state_dict().items():
        assert torch.equal(data["state"]["model"][k], v)
    assert data["state"]["optimizer"]["state"][0]["step"] == opt.state_dict()["state"][0]["step"]


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    model, _ = model_and_opt()
    ckpt = Checkpointer(str(tmp_path), name="run", model=model)
    path = ckpt.save(1, loss=1.0)
    before = (tmp_path / os.path.basename(path)).read_bytes()

    def crash(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError):
        ckpt.save(1, loss=1.0)
    assert (tmp_path / os.path.basename(path)).read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["checkpoints.json", os.path.basename(path)]


def test_resume_from_the_latest_continues_exactly(tmp_path):
    model, opt = model_and_opt()
    train(model, opt, 10)
    straight = [p.detach().clone() for p in model.parameters()]

    model, opt = model_and_opt()
    ckpt = unstuck.Checkpointer(str(tmp_path), every=4, model=model, optimizer=opt)
    train(model, opt, 6, ckpt)  # saves after step 4, then "crashes" after step 6
    model, opt = model_and_opt(seed=99)  # a fresh process: other initial weights
    ckpt = unstuck.Checkpointer(str(tmp_path), every=4, model=model, optimizer=opt)
    start = ckpt.resume()
    assert start == 4
    train(model, opt, 10, ckpt, start=start)
    for a, b in zip(straight, model.parameters()):
        assert torch.equal(a, b)
    assert ckpt.steps_done == 10 and "-step0000008-" in ckpt.latest()


def test_no_checkpoint_to_resume_starts_at_zero(tmp_path):
    model, _ = model_and_opt()
    assert Checkpointer(str(tmp_path / "none"), model=model).resume() == 0


SCRIPT = """
import sys
import torch, torch.nn as nn
torch.manual_seed(0)
x = torch.randn(128, 4); y = x.sum(1, keepdim=True)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 1))
    def forward(self, x):
        return self.body(x)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=250)
for step in range(250):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    sched.step()
torch.save({"params": [p.detach().clone() for p in model.parameters()],
            "buffers": [b.clone() for b in model.buffers()], "opt": opt.state_dict()}, sys.argv[1])
"""


@pytest.mark.slow
def test_checkpoint_every_saves_the_watched_model_and_optimizer_without_changing_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(SCRIPT)
    assert main(["run", "--quiet", "--no-log", "train.py", "plain.pt"]) == 0
    assert main(["run", "--quiet", "--log-dir", "logs", "--checkpoint-every", "100", "train.py", "watched.pt"]) == 0
    plain = torch.load(tmp_path / "plain.pt", weights_only=True)
    watched = torch.load(tmp_path / "watched.pt", weights_only=True)
    for a, b in zip(plain["params"] + plain["buffers"], watched["params"] + watched["buffers"]):
        assert torch.equal(a, b)
    (run,) = (tmp_path / "logs").iterdir()
    files = sorted(p.name for p in (run / "checkpoints").glob("*.pt"))
    assert [f.split("-loss")[0] for f in files] == ["train-step0000100", "train-step0000200"]
    for f in files:
        data = torch.load(run / "checkpoints" / f, weights_only=True)
        assert sorted(data["state"]) == ["Adam", "Net"]
        assert set(data["state"]["Net"]) >= {"body.0.weight", "body.1.running_mean", "body.3.bias"}
        assert data["loss"] > 0 and f"loss{data['loss']:.4g}" in f
    last = torch.load(run / "checkpoints" / files[-1], weights_only=True)
    assert last["step"] == 200 and last["state"]["Adam"]["state"][0]["step"] == 200
    assert last["state"]["Adam"]["param_groups"][0]["lr"] == pytest.approx(plain["opt"]["param_groups"][0]["lr"],
                                                                         abs=1e-2)
