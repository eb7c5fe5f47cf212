"""unstuck.watch(): training watched in this process, judged as `unstuck run` judges a script."""
import json
import os
import warnings

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import unstuck
from unstuck.observe import session as session_module


def _train(broadcast: bool, steps: int = 150) -> float:
    torch.manual_seed(0)
    X = torch.randn(512, 4)
    y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(steps):
        i = step % 8 * 64
        out = model(X[i:i + 64])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = F.mse_loss(out if broadcast else out.squeeze(1), y[i:i + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def _torch_entry_points():
    return (torch.autograd.backward, torch.optim.Optimizer.__init__, torch.nn.Module.zero_grad,
            torch.utils.data.DataLoader.__iter__, torch.no_grad.__enter__, torch.compile)


def test_a_broadcast_in_the_block_is_found_at_the_users_line():
    with unstuck.watch() as session:
        _train(broadcast=True)
    report = session.report()
    first = report.findings[0]
    assert first.cause == "loss-broadcast" and first.severity == "error"
    assert first.location.file.endswith("test_watching.py") and first.location.function == "_train"
    assert first.fix and not first.caused_by
    assert not report.ok
    assert "loss-broadcast" in str(report) and "test_watching.py" in str(report)
    assert report.to_json()["findings"][0]["cause"] == "loss-broadcast"
    json.dumps(report.to_json())  # plain data


def test_the_fixed_block_has_no_finding_at_warning_level():
    with unstuck.watch() as session:
        _train(broadcast=False)
    report = session.report()
    assert report.ok and report.judged
    assert [f.cause for f in report.findings if f.severity != "info"] == []


def test_watching_changes_nothing_the_block_computes():
    plain = _train(broadcast=False, steps=60)
    with unstuck.watch():
        watched = _train(broadcast=False, steps=60)
    assert watched == plain


def test_torch_is_restored_after_the_block_even_when_it_raises():
    before = _torch_entry_points()
    with pytest.raises(ValueError, match="boom"):
        with unstuck.watch() as session:
            _train(broadcast=True, steps=40)
            raise ValueError("boom")
    assert _torch_entry_points() == before
    assert session_module._ACTIVE == []
    report = session.report()
    assert report.script_error == "ValueError: boom" and not report.ok
    assert "loss-broadcast" in [f.cause for f in report.findings]
    assert "The watched code failed after 40" in str(report)


def test_nested_blocks_each_judge_their_own_training():
    before = _torch_entry_points()
    with unstuck.watch() as outer:
        _train(broadcast=False, steps=60)
        with unstuck.watch() as inner:
            _train(broadcast=True, steps=60)
        _train(broadcast=False, steps=60)
    assert _torch_entry_points() == before
    assert "loss-broadcast" in [f.cause for f in inner.report().findings]
    assert inner.report().summary["optimizer_steps"] == 60
    assert outer.report().summary["optimizer_steps"] == 120
    assert outer.report().ok


def test_a_session_left_open_is_nested_into_and_can_still_be_stopped():
    before = _torch_entry_points()
    left_open = unstuck.watch().start()
    with unstuck.watch() as block:
        _train(broadcast=True, steps=40)
    assert left_open.watching and not block.watching
    left_open.stop()
    assert _torch_entry_points() == before and session_module._ACTIVE == []
    assert left_open.report().summary["optimizer_steps"] == 0


def test_misuse_gets_a_clear_error():
    session = unstuck.watch()
    with pytest.raises(RuntimeError, match="never started|start the session"):
        session.report()
    with session:
        with pytest.raises(RuntimeError, match="still watching"):
            session.report()
        with pytest.raises(RuntimeError, match="already started"):
            session.start()
    with pytest.raises(RuntimeError, match="already started"):
        with session:
            pass
    with pytest.raises(ValueError, match="unknown profile"):
        unstuck.watch(profile="fast")


def test_select_and_ignore_filter_the_rules():
    with unstuck.watch(ignore=["loss-broadcast"]) as session:
        _train(broadcast=True, steps=60)
    assert "loss-broadcast" not in [f.cause for f in session.report().findings]


def test_the_report_renders_as_html_and_is_kept_as_a_run_folder(tmp_path):
    with unstuck.watch() as session:
        _train(broadcast=True, steps=60)
    report = session.report()
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>") and "loss-broadcast" in page and "<svg" in page
    notebook = report._repr_html_()
    assert "<iframe" in notebook and "loss-broadcast" in notebook
    folder = report.save(str(tmp_path / "run"))
    assert sorted(os.listdir(folder)) == ["report.html", "report.json", "report.txt", "steps.jsonl", "trace.json"]
    from unstuck.logbook.rundir import load_run
    run = load_run(folder)
    assert len(run.rows) == 60 and run.report["findings"][0]["cause"] == "loss-broadcast"
    again = report.save(str(tmp_path / "run"))  # a folder that holds a run: a new one inside
    assert os.path.dirname(again) == folder
