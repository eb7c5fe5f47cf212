"""Lightning: `unstuck run` stays silent on a healthy `Trainer.fit` (Lightning's own
zero_grad/step, gradient accumulation, clipping, a per-step LR schedule) and names the bugs
seeded into it; the explicit `UnstuckCallback` does the same in plain Python."""
from __future__ import annotations

import json
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from helpers import causes, diagnose_code

pytest.importorskip("lightning")
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

# argv: bug (none | broadcast | head), folder; then "callback" [fail_on] adds UnstuckCallback.
SCRIPT = """
import json, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
import lightning.pytorch as pl
from torch.utils.data import DataLoader, TensorDataset

BUG, OUT = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
torch.set_num_threads(1)
X = torch.randn(512, 8)
y = X[:, 0] * 2 - X[:, 1] + 0.5 * X[:, 2] * X[:, 3]


class Regressor(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        return self.head(self.backbone(x))

    def training_step(self, batch, batch_idx):
        xb, yb = batch
        pred = self(xb)                                   # [N, 1]
        if BUG != "broadcast":
            pred = pred.squeeze(-1)                       # [N], as yb
        loss = F.mse_loss(pred, yb)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        params = self.backbone.parameters() if BUG == "head" else self.parameters()
        opt = torch.optim.AdamW(params, lr=1e-2)
        warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}


callbacks = []
if "callback" in sys.argv:
    from unstuck.integrations.lightning import UnstuckCallback
    fail_on = sys.argv[4] if len(sys.argv) > 4 else None
    watcher = UnstuckCallback(save_to=os.path.join(OUT, "run"), fail_on=fail_on)
    callbacks.append(watcher)
model = Regressor()
trainer = pl.Trainer(max_epochs=4, accelerator="cpu", devices=1, enable_progress_bar=False, logger=False,
                     enable_checkpointing=False, enable_model_summary=False, accumulate_grad_batches=2,
                     gradient_clip_val=1.0, default_root_dir=OUT, callbacks=callbacks)
trainer.fit(model, DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True))

with torch.no_grad():
    mse = F.mse_loss(model(X).squeeze(-1), y).item()
with open(os.path.join(OUT, "metric.json"), "w") as f:
    json.dump({"mse": mse}, f)
"""


@pytest.fixture(autouse=True)
def keeps_torch_threads():
    """The scripts run in this process and pin torch to one thread (two cores, shared)."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def run(tmp_path, bug: str):
    """`unstuck run` the script with `bug` seeded; the report and the trained model's MSE."""
    report = diagnose_code(tmp_path, SCRIPT, args=[bug, str(tmp_path)])
    assert report.script_status is None, report.script_error
    return report, json.loads((tmp_path / "metric.json").read_text())["mse"]


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    threads = torch.get_num_threads()
    try:
        return run(tmp_path_factory.mktemp("healthy"), "none")
    finally:
        torch.set_num_threads(threads)


def test_healthy_fit_is_silent(healthy):
    report, mse = healthy
    assert report.summary["optimizer_steps"] >= 20
    assert causes(report) == []
    assert mse < 1.0  # the target's variance is about 4.9


def test_healthy_fit_has_no_tool_error(healthy):
    assert healthy[0].tool_errors == []


@pytest.mark.parametrize("bug, cause", [("broadcast", "loss-broadcast"), ("head", "params-not-optimized")])
def test_seeded_bug_is_named_and_learns_worse(tmp_path, healthy, bug, cause):
    """[N,1] against [N] in training_step; the head left out of configure_optimizers."""
    report, mse = run(tmp_path, bug)
    assert cause in causes(report)
    assert mse > 2 * healthy[1]


def _fit_with_callback(tmp_path, bug: str, *options: str):
    """The script in plain Python (no `unstuck run`), with UnstuckCallback added."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    argv = sys.argv
    sys.argv = [str(script), bug, str(tmp_path), "callback", *options]
    try:
        return runpy.run_path(str(script), run_name="__main__")["watcher"]
    finally:
        sys.argv = argv


def test_callback_reports_the_healthy_fit_ok_and_saves_it(tmp_path, capsys):
    watcher = _fit_with_callback(tmp_path, "none", "error")
    assert watcher.report.ok and causes(watcher.report) == []
    assert watcher.report.summary["optimizer_steps"] >= 20
    assert "unstuck report" in capsys.readouterr().out
    assert Path(watcher.saved_to).is_dir() and any(Path(watcher.saved_to).iterdir())


def test_callback_names_the_broadcast_and_fails_on_error(tmp_path):
    from unstuck.integrations.lightning import UnstuckFindingsError

    with pytest.raises(UnstuckFindingsError, match="loss-broadcast") as failed:
        _fit_with_callback(tmp_path, "broadcast", "error")
    assert not failed.value.report.ok
    assert "loss-broadcast" in causes(failed.value.report)


def test_callback_stops_watching_when_fit_raises(tmp_path):
    import lightning.pytorch as pl

    from unstuck.integrations.lightning import UnstuckCallback

    class Boom(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            if batch_idx == 3:
                raise ValueError("boom")
            return self.lin(batch[0]).pow(2).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(64, 2)), batch_size=8)
    watcher = UnstuckCallback(verbose=False)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", devices=1, enable_progress_bar=False, logger=False,
                         enable_checkpointing=False, enable_model_summary=False, default_root_dir=tmp_path,
                         callbacks=[watcher])
    with pytest.raises(ValueError, match="boom"):
        trainer.fit(Boom(), data)
    assert not watcher.session.watching
    assert watcher.report.script_error == "ValueError: boom"


@pytest.mark.slow
def test_example_runs(tmp_path):
    example = ROOT / "examples" / "lightning" / "train.py"
    done = subprocess.run([sys.executable, str(example)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "unstuck report" in done.stdout
