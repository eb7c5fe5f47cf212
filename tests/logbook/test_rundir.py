"""`unstuck run` keeps a run folder; `show` and `compare` read it back."""
import importlib.util
import json
import os

import pytest

from unstuck.cli import main
from unstuck.logbook.rundir import load_run, new_run_dir

from tests.report.test_html import BROADCAST as BROKEN
from tests.report.test_html import FIXED


@pytest.fixture
def runs(tmp_path, monkeypatch):
    """Both programs run once with the default run folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "fixed.py").write_text(FIXED)
    assert main(["run", "--quiet", "--html", "page.html", "broken.py"]) == 1
    assert main(["run", "--quiet", "fixed.py"]) == 0
    folders = sorted((tmp_path / "unstuck-runs").iterdir())
    return tmp_path, folders


def test_the_default_run_folder_holds_every_file(runs):
    tmp_path, (broken, fixed) = runs
    assert broken.name.startswith("broken-") and fixed.name.startswith("fixed-")
    expected = ["report.html", "report.json", "report.txt", "steps.jsonl", "trace.json"]
    if importlib.util.find_spec("tensorboard"):
        expected.append("tensorboard")
    assert sorted(os.listdir(broken)) == sorted(expected)
    report = json.loads((broken / "report.json").read_text())
    assert report["findings"][0]["cause"] == "loss-broadcast"
    assert "loss-broadcast" in (broken / "report.txt").read_text()
    assert (broken / "report.html").read_text() == (tmp_path / "page.html").read_text()
    run = load_run(str(broken))
    assert [r["step"] for r in run.rows] == list(range(1, 41))
    assert run.trace["losses"] and all(c["baseline"] is not None for c in run.trace["losses"])


def test_show_prints_the_past_report(runs, capsys):
    tmp_path, (broken, _) = runs
    capsys.readouterr()
    assert main(["show", str(broken)]) == 0
    out = capsys.readouterr().out
    assert "loss-broadcast" in out and "steps logged" in out and str(broken) in out
    assert main(["show", str(tmp_path / "unstuck-runs")]) == 0  # the newest run under a log dir
    assert "fixed" in capsys.readouterr().out


def test_compare_shows_both_runs_in_the_terminal_and_html(runs, capsys, monkeypatch):
    tmp_path, (broken, fixed) = runs
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: no cell is wrapped
    capsys.readouterr()
    assert main(["compare", str(broken), str(fixed), "--html", "cmp.html"]) == 0
    out = capsys.readouterr().out
    assert "loss-broadcast" in out and "no finding (40 steps observed)" in out
    assert broken.name in out and fixed.name in out
    page = (tmp_path / "cmp.html").read_text()
    assert broken.name in page and fixed.name in page and page.count("<svg") == 1


def test_show_of_something_else_is_a_usage_error(tmp_path, capsys):
    assert main(["show", str(tmp_path)]) == 2
    assert "not an unstuck run folder" in capsys.readouterr().err


def test_no_log_keeps_nothing_and_html_still_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text(BROKEN)
    assert main(["run", "--quiet", "--no-log", "--html", "out/page.html", "broken.py"]) == 1
    assert sorted(os.listdir(tmp_path)) == ["broken.py", "out"]
    page = (tmp_path / "out" / "page.html").read_text()
    assert "loss-broadcast" in page and page.count("<svg") >= 2


@pytest.mark.parametrize("argv, message", [
    (["--checkpoint-every", "0"], "--checkpoint-every must be at least 1"),
    (["--keep-checkpoints", "0"], "--keep-checkpoints must be at least 1"),
    (["--no-log", "--checkpoint-every", "5"], "needs a run folder"),
])
def test_logbook_usage_errors(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.py").write_text("")
    assert main(["run", *argv, "t.py"]) == 2
    assert message in capsys.readouterr().err


def test_an_unwritable_log_dir_does_not_stop_the_diagnosis(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "file").write_text("")  # a log dir that cannot be made
    assert main(["run", "--quiet", "--log-dir", "file/runs", "--json", "r.json", "broken.py"]) == 1
    assert "no run folder" in capsys.readouterr().err
    assert json.loads((tmp_path / "r.json").read_text())["findings"][0]["cause"] == "loss-broadcast"


def test_run_folders_never_collide(tmp_path):
    a = new_run_dir(str(tmp_path), "dir/train.py", now=0)
    b = new_run_dir(str(tmp_path), "train.py", now=0)
    assert os.path.basename(a) == "train-" + os.path.basename(a).split("-", 1)[1]
    assert b == a + "-2"


def test_a_read_only_folder_gets_no_run_folder_even_for_root(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            new_run_dir(str(shared / "unstuck-runs"), "train.py")
        assert not os.listdir(shared)
    finally:
        shared.chmod(0o755)
