"""The command line as a user runs it: subprocesses, exit statuses, the JSON contract."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
TRAIN = """
import sys, torch
torch.manual_seed(0)
X = torch.randn(64, 3); y = X.sum(1, keepdim=True)
model = torch.nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(X), y)
    loss.backward()
    opt.step()
"""


def unstuck(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "unstuck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def write(tmp_path, code, name="train.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return name


def test_missing_script_is_a_usage_error(tmp_path):
    r = unstuck("run", "nope.py", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["unstuck: error: no such script: nope.py"]


def test_clean_run_exits_0_and_passes_arguments_through(tmp_path):
    script = write(tmp_path, TRAIN + "print('args', sys.argv, sys.path[0] == __import__('os').getcwd())\n")
    r = unstuck("run", "--json", "r.json", script, "7", "--json", "x", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"args ['{script}', '7', '--json', 'x'] True" in r.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["version"] == 1 and report["command"] == "run" and report["script"] == script
    assert report["steps_observed"] == 7 and report["findings"] == []
    assert "No problem found" in r.stderr


def test_error_finding_exits_1_with_spec_fields(tmp_path):
    script = write(tmp_path, TRAIN.replace("model(X), y)", "model(X), y.squeeze(1))"))
    r = unstuck("run", "--json", "r.json", script, cwd=tmp_path)
    assert r.returncode == 1
    f = json.loads((tmp_path / "r.json").read_text())["findings"][0]
    assert {"rule", "cause", "kind", "severity", "title", "message", "location", "evidence", "fix",
            "explains"} <= set(f)
    assert f["cause"] == "loss-broadcast" and f["location"] == {"file": script, "line": 9, "function": "<module>"}


@pytest.mark.slow
def test_confirm_replays_the_fix_and_says_what_it_showed(tmp_path):
    bug = TRAIN.replace("X = torch.randn(64, 3)", "X = torch.randn(256, 3)").replace("model(X), y)", "model(X), y.squeeze(1))")
    script = write(tmp_path, bug)
    r = unstuck("run", "--no-log", "--confirm", "--json", "r.json", script, "150", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    c = json.loads((tmp_path / "r.json").read_text())["findings"][0]["confirmation"]
    assert c["status"] == "confirmed" and c["with_fix"]["score"] > c["as_written"]["score"], c
    assert "Confirmed by replay" in r.stderr
    r = unstuck("run", "--no-log", "--json", "r.json", script, "20", cwd=tmp_path)  # off by default
    assert "confirmation" not in json.loads((tmp_path / "r.json").read_text())["findings"][0]


def test_script_exception_keeps_its_traceback_and_status(tmp_path):
    script = write(tmp_path, TRAIN + "raise ValueError('boom')\n")
    r = unstuck("run", "--json", "r.json", script, cwd=tmp_path)
    assert r.returncode == 1
    assert "ValueError: boom" in r.stderr and "unstuck report" in r.stderr
    assert "runpy" not in r.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["script_error"] == "ValueError: boom" and report["steps_observed"] == 20


def test_sys_exit_status_is_kept(tmp_path):
    script = write(tmp_path, TRAIN + "sys.exit(3)\n")
    r = unstuck("run", "--json", "r.json", script, cwd=tmp_path)
    assert r.returncode == 3
    assert json.loads((tmp_path / "r.json").read_text())["script_status"] == 3


def test_max_steps_stops_training_and_reports(tmp_path):
    script = write(tmp_path, TRAIN + "print('finished')\n")
    r = unstuck("run", "--max-steps", "5", "--json", "r.json", script, "1000", cwd=tmp_path)
    assert r.returncode == 0
    assert "finished" not in r.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["steps_observed"] == 5 and report["summary"]["stopped_at_max_steps"]


def test_max_steps_is_not_swallowed_by_the_script(tmp_path):
    script = write(tmp_path, TRAIN.replace("    opt.step()", "    try:\n        opt.step()\n    except Exception:\n        pass"))
    unstuck("run", "--max-steps", "4", "--json", "r.json", script, "1000", cwd=tmp_path)
    assert json.loads((tmp_path / "r.json").read_text())["steps_observed"] == 4


@pytest.mark.slow
def test_ctrl_c_writes_the_report_and_exits_130(tmp_path):
    script = write(tmp_path, TRAIN.replace("for step in range", "print('ready', flush=True)\nfor step in range"))
    # the default SIGINT action in the child, as in a terminal: a parent may ignore SIGINT (a pytest-xdist worker does),
    # and a Python started with SIGINT ignored never raises KeyboardInterrupt
    proc = subprocess.Popen([sys.executable, "-m", "unstuck", "run", "--json", "r.json", script, "100000000"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # a run that ignored the signal must not outlive the test
    assert proc.returncode == 130
    assert "KeyboardInterrupt" in err and "unstuck report" in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["steps_observed"] > 0


def test_tool_failure_never_reaches_the_script(tmp_path, monkeypatch):
    """Break an observer on purpose: the script still runs to the end, the error is reported."""
    from unstuck.observe import optimizers

    def broken(*args, **kwargs):
        raise RuntimeError("observer bug")

    monkeypatch.setattr(optimizers.OptimizerObserver, "_on_pre", broken)
    from unstuck.api import observe_and_diagnose
    path = tmp_path / "t.py"
    path.write_text(TRAIN + "print('done')\n")
    report, trace = observe_and_diagnose(str(path), [])
    assert report.script_status is None and trace.ticks == 20
    assert any("observer bug" in e.error for e in report.tool_errors)


@pytest.mark.parametrize("cmd", [["rules"], ["explain", "GF"]])
def test_listing_commands(tmp_path, cmd):
    r = unstuck(*cmd, cwd=tmp_path)
    assert r.returncode == 0 and "detached-graph" in r.stdout


def test_unknown_rule_in_select_is_a_usage_error(tmp_path):
    script = write(tmp_path, TRAIN)
    r = unstuck("run", "--select", "nothing-like-this", script, cwd=tmp_path)
    assert r.returncode == 2


@pytest.mark.slow
def test_select_and_ignore_filter_findings(tmp_path):
    script = write(tmp_path, TRAIN.replace("model(X), y)", "model(X), y.squeeze(1))"))
    r = unstuck("run", "--ignore", "loss-broadcast", "--json", "r.json", script, cwd=tmp_path)
    causes = [f["cause"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]]
    assert "loss-broadcast" not in causes and r.returncode == 0


# ---------------------------------------------------------------- honest status, --fail-on, frictions
@pytest.mark.slow
def test_zero_steps_is_nothing_to_judge_and_fails_unless_never(tmp_path):
    script = write(tmp_path, "import torch\nmodel = torch.nn.Linear(3, 1)\nprint('built')\n")
    r = unstuck("run", "--json", "r.json", script, cwd=tmp_path)
    assert r.returncode == 3
    assert "no optimizer step or backward pass was seen: nothing to judge" in " ".join(r.stderr.split()).lower()
    assert "No problem found" not in r.stderr
    assert json.loads((tmp_path / "r.json").read_text())["steps_observed"] == 0
    assert unstuck("run", "--fail-on", "never", script, cwd=tmp_path).returncode == 0


def test_syntax_error_says_the_script_failed(tmp_path):
    script = write(tmp_path, "import torch\nfor x in range(3)\n    print(x)\n")
    r = unstuck("run", "--json", "r.json", script, cwd=tmp_path)
    assert r.returncode == 1
    flat = " ".join(r.stderr.split())
    assert "SyntaxError" in flat and "The script failed before training" in flat
    assert "No problem found" not in flat
    assert json.loads((tmp_path / "r.json").read_text())["script_error"].startswith("SyntaxError")


@pytest.mark.slow
def test_crash_after_training_says_how_many_steps_were_judged(tmp_path):
    script = write(tmp_path, TRAIN + "1 / 0\n")
    r = unstuck("run", script, cwd=tmp_path)
    assert r.returncode == 1
    flat = " ".join(r.stderr.split())
    assert "The script failed after 20 training step(s): ZeroDivisionError" in flat
    assert "No problem found in 20 training step(s)" in flat


@pytest.mark.slow
def test_options_after_the_script_went_to_the_script(tmp_path):
    script = write(tmp_path, TRAIN.replace("int(sys.argv[1]) if len(sys.argv) > 1 else 20", "20"))
    r = unstuck("run", script, "--json", "out.json", "--fail-on=warning", cwd=tmp_path)
    flat = " ".join(r.stderr.split())
    assert ("`--json`, `--fail-on` went to the script, not to unstuck: options of unstuck go before the script"
            in flat), flat
    assert not (tmp_path / "out.json").exists()


@pytest.mark.slow
def test_fail_on_warning_counts_warnings(tmp_path):
    script = write(tmp_path, TRAIN.replace("lr=0.1", "lr=1e-9"))
    r = unstuck("run", "--json", "r.json", script, cwd=tmp_path)
    severities = {f["severity"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]}
    assert severities == {"warning"}, severities
    assert r.returncode == 0
    assert unstuck("run", "--fail-on", "warning", script, cwd=tmp_path).returncode == 1
    broadcast = write(tmp_path, TRAIN.replace("model(X), y)", "model(X), y.squeeze(1))"), "b.py")
    assert unstuck("run", "--fail-on", "never", broadcast, cwd=tmp_path).returncode == 0


def test_help_has_the_exit_status_table(tmp_path):
    r = unstuck("run", "--help", cwd=tmp_path)
    assert r.returncode == 0
    assert "exit status:" in r.stdout and "--fail-on" in r.stdout
    for code in ("0", "1", "2", "3"):
        assert f"\n  {code} " in r.stdout


def test_script_without_run_suggests_run(tmp_path):
    script = write(tmp_path, TRAIN)
    r = unstuck(script, "--lr", "1", cwd=tmp_path)
    assert r.returncode == 2
    assert f"did you mean `unstuck run {script} --lr 1`?" in r.stderr
    assert "invalid choice" not in r.stderr


@pytest.mark.slow
def test_no_live_status_without_a_terminal(tmp_path):
    script = write(tmp_path, TRAIN + "print('last line of the script')\n")
    r = unstuck("run", script, cwd=tmp_path)
    assert "\x1b[" not in r.stderr and "\x1b[" not in r.stdout
    assert "watching" not in r.stderr
    assert r.stdout.splitlines()[-1] == "last line of the script"


@pytest.mark.slow
def test_the_last_lines_name_the_visual_report(tmp_path):
    script = write(tmp_path, TRAIN)
    r = unstuck("run", "--html", "page.html", script, "10", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    kept = next(line for line in lines if line.startswith("unstuck: run kept in"))
    page = kept.split("visual report ", 1)[1].split()[0]
    assert page.endswith("report.html") and (tmp_path / page).is_file()
    assert lines[-1] == "unstuck: visual report written to page.html" and (tmp_path / "page.html").is_file()
