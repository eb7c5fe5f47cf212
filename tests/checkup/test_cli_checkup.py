"""`unstuck checkup` as a user runs it."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


def unstuck(*args, cwd):
    return subprocess.run([sys.executable, "-m", "unstuck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_table_options_may_follow_the_file_and_noise_is_not_learnable(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((300, 4)), columns=list("abcd"))
    df["y"] = rng.standard_normal(300)
    df.loc[3, "b"] = np.nan
    df.to_csv(tmp_path / "noise.csv", index=False)
    r = unstuck("checkup", "noise.csv", "--target", "y", "--json", "r.json", "--quiet", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["command"] == "checkup"
    causes = [f["cause"] for f in report["findings"] if f["severity"] != "info"]
    assert causes[:2] == ["data-nonfinite", "not-learnable"] or set(causes) == {"data-nonfinite", "not-learnable"}
    ck = report["checkup"]
    assert ck["verdict"]["kind"] == "data" and ck["integrity"]["nonfinite"] == {"b": 1}
    assert ck["task"] == "regression" and ck["samples"] == 299


BROADCAST = """
import torch
torch.manual_seed(0)
X = torch.randn(256, 5); y = X[:, 0] - X[:, 1]
model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(40):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(X).squeeze(-1), y.unsqueeze(-1))
    loss.backward()
    opt.step()
"""


@pytest.mark.slow
def test_script_checkup_confirms_a_bug_with_the_overfit_ladder(tmp_path):
    (tmp_path / "train.py").write_text(BROADCAST)
    r = unstuck("checkup", "--json", "r.json", "--budget", "40", "train.py", cwd=tmp_path)
    assert r.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text())
    causes = [f["cause"] for f in report["findings"]]
    assert causes[0] == "loss-broadcast" and "cannot-overfit" in causes
    over = next(f for f in report["findings"] if f["cause"] == "cannot-overfit")
    assert over["caused_by"] == ["loss-broadcast"]
    ck = report["checkup"]
    assert ck["verdict"]["kind"] == "bug" and "loss-broadcast" in ck["verdict"]["summary"]
    assert "checkup verdict: BUG" in r.stderr and "Overfit ladder" in r.stderr


SIGTERM_DURING_OVERFIT = """
import os, signal, sys
import unstuck.checkup.overfit as overfit
from unstuck.cli import main

ladder = overfit.overfit_ladder


def terminated_while_overfitting(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)  # a scheduler's SIGTERM arrives during the first experiment
    return ladder(*args, **kwargs)


overfit.overfit_ladder = terminated_while_overfitting
sys.exit(main(sys.argv[1:]))
"""


def test_sigterm_during_the_experiments_reports_what_was_measured_and_dies_of_the_signal(tmp_path):
    import signal

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.standard_normal((200, 3)), columns=list("abc"))
    df["y"] = df["a"] * 2 + 0.1 * rng.standard_normal(200)
    df.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "drive.py").write_text(SIGTERM_DURING_OVERFIT)
    r = subprocess.run([sys.executable, "drive.py", "checkup", "t.csv", "--target", "y", "--budget", "300",
                        "--json", "r.json", "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == -signal.SIGTERM, r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert any("SIGTERM" in note for note in report["notes"])
    skipped = report["checkup"]["skipped"]
    assert skipped and all("SIGTERM" in why for why in skipped.values())
    assert "stopped: terminated (SIGTERM)" in skipped.values()
