"""`unstuck run` keeps a run folder; `show` and `compare` read it back."""
import importlib.util
import json
import os

import pytest

from tests.report.test_html import BROADCAST as BROKEN
from tests.report.test_html import FIXED
from unstuck.cli import main
from unstuck.logbook.rundir import load_run, new_run_dir


@pytest.fixture(scope="module")
def _both_runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("runs")
    (tmp_path / "broken.py").write_text(BROKEN)
    (tmp_path / "fixed.py").write_text(FIXED)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["run", "--quiet", "--html", "page.html", "broken.py"]) == 1
        assert main(["run", "--quiet", "fixed.py"]) == 0
    finally:
        os.chdir(cwd)
    return tmp_path, sorted((tmp_path / "unstuck-runs").iterdir())


@pytest.fixture
def runs(_both_runs, monkeypatch):
    """Both programs, run once with the default run folder; the test runs in their folder."""
    monkeypatch.chdir(_both_runs[0])
    return _both_runs


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


@pytest.mark.slow
def test_checkup_keeps_a_run_folder_with_its_experiments(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text(BROKEN)
    main(["checkup", "--quiet", "--budget", "3", "--html", "page.html", "broken.py"])
    (run,) = (tmp_path / "unstuck-runs").iterdir()
    report = json.loads((run / "report.json").read_text())
    assert report["command"] == "checkup" and report["checkup"]
    loaded = load_run(str(run))
    assert [r["step"] for r in loaded.rows] == list(range(1, 41))  # the script's own steps only
    page = (tmp_path / "page.html").read_text()
    assert 'id="checkup"' in page and page == (run / "report.html").read_text()


def test_a_tables_checkup_keeps_its_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = ["a,b,y"] + [f"{i % 7},{(i * 3) % 5},{(i % 7) * 2 + (i * 3) % 5}" for i in range(120)]
    (tmp_path / "data.csv").write_text("\n".join(rows) + "\n")
    main(["checkup", "--quiet", "--budget", "3", "--html", "page.html", "data.csv", "--target", "y"])
    (run,) = (tmp_path / "unstuck-runs").iterdir()
    assert run.name.startswith("data-")
    assert sorted(os.listdir(run)) == ["report.html", "report.json", "report.txt"]  # no training was watched
    assert json.loads((run / "report.json").read_text())["checkup"]
    assert 'id="checkup"' in (tmp_path / "page.html").read_text()


@pytest.mark.slow
def test_sigterm_still_keeps_the_run_folder(tmp_path):
    """What a cluster scheduler sends: the step log, the reports and the page are all written
    before the process dies of the signal."""
    import signal
    import subprocess
    import sys
    (tmp_path / "t.py").write_text(
        "import os, signal, time\nimport torch, torch.nn as nn, torch.nn.functional as F\n"
        "torch.manual_seed(0)\nX = torch.randn(32, 4); y = X.sum(1, keepdim=True)\n"
        "m = nn.Linear(4, 1); o = torch.optim.SGD(m.parameters(), lr=0.1)\n"
        "for _ in range(30):\n    o.zero_grad(); F.mse_loss(m(X), y).backward(); o.step()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(10)\n")
    r = subprocess.run([sys.executable, "-m", "unstuck", "run", "--quiet", "t.py"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == -signal.SIGTERM
    (run_dir,) = (tmp_path / "unstuck-runs").iterdir()
    assert {"steps.jsonl", "report.json", "report.html"} <= set(os.listdir(run_dir))
    run = load_run(str(run_dir))
    assert [row["step"] for row in run.rows] == list(range(1, 31))
    assert run.report["script_status"] == 128 + signal.SIGTERM
