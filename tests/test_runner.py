"""`unstuck run` runs a program as `python` would: the same `__main__`, sys.path, argv, the
same traceback, every way it can end; and it costs nothing until the program imports torch."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import pytest

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}

SHOW_MAIN = """
import sys, builtins
import sibling
print("main", __name__, __builtins__ is builtins, type(__loader__).__name__, getattr(__loader__, "name", None))
print("names", __file__, __cached__, __spec__ and __spec__.name, repr(__package__))
print("path", sys.path[0], sys.argv)
builtins_attr = __builtins__.print  # a module, as under python
"""


def python(*args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=ENV)


def unstuck(*args, cwd):
    """`unstuck run` as a user would call it; scripts that train nothing are no failure here
    (these tests are about running like python, not about the diagnosis)."""
    return python("-m", "unstuck", "run", "--fail-on", "never", "--no-log", *args, cwd=cwd)


@pytest.fixture()
def layouts(tmp_path):
    """A script reached through a symlink (importing a sibling of the real file), a folder and a
    zip file with __main__.py, and a package module."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "s.py").write_text(SHOW_MAIN)
    (tmp_path / "real" / "sibling.py").write_text("")
    (tmp_path / "link").mkdir()
    os.symlink(tmp_path / "real" / "s.py", tmp_path / "link" / "s.py")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__main__.py").write_text(SHOW_MAIN)
    (tmp_path / "app" / "sibling.py").write_text("")
    with zipfile.ZipFile(tmp_path / "app.zip", "w") as z:
        z.writestr("__main__.py", SHOW_MAIN)
        z.writestr("sibling.py", "")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text(SHOW_MAIN.replace("import sibling", "from pkg import sibling"))
    (tmp_path / "pkg" / "sibling.py").write_text("")
    return tmp_path


@pytest.mark.parametrize("target", [["link/s.py", "a"], ["app", "b"], ["app.zip", "c"], ["-m", "pkg.mod", "d", "-m"]])
def test_main_module_path_and_argv_are_as_under_python(layouts, target):
    plain = python(*target, cwd=layouts)
    assert plain.returncode == 0, plain.stderr
    watched = unstuck("--quiet", *target, cwd=layouts)
    assert watched.returncode == 0, watched.stderr
    assert watched.stdout == plain.stdout


TRAIN = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(64, 4); y = X.sum(1, keepdim=True)
m = nn.Linear(4, 1); o = torch.optim.SGD(m.parameters(), lr=0.1)
def train(steps):
    for _ in range(steps):
        o.zero_grad(); F.mse_loss(m(X), y).backward(); o.step()
"""


def _report(tmp_path):
    return json.loads((tmp_path / "r.json").read_text())


def test_threads_still_running_at_the_end_are_joined_before_the_report(tmp_path):
    (tmp_path / "t.py").write_text(TRAIN + "import threading, time\n"
                                   "def late():\n    time.sleep(1); train(40); print('done')\n"
                                   "threading.Thread(target=late).start()\n")
    r = unstuck("--json", "r.json", "t.py", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "done\n"
    assert _report(tmp_path)["summary"]["steps"] == 40


@pytest.mark.slow
def test_sigterm_writes_the_report_and_dies_of_the_signal(tmp_path):
    (tmp_path / "t.py").write_text(TRAIN + "import os, signal, time\ntrain(30)\n"
                                   "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(10)\nprint('not reached')\n")
    plain = python("t.py", cwd=tmp_path)
    watched = unstuck("--json", "r.json", "t.py", cwd=tmp_path)
    assert plain.returncode == watched.returncode == -signal.SIGTERM  # 143 in a shell
    assert watched.stdout == "" and "unstuck report" in watched.stderr
    report = _report(tmp_path)
    assert report["summary"]["steps"] == 30 and report["script_status"] == 128 + signal.SIGTERM


def test_a_script_without_torch_does_not_import_it_and_a_late_import_is_watched(tmp_path):
    (tmp_path / "t.py").write_text("import sys\nprint('torch' in sys.modules)\n"
                                   "if sys.argv[1:] == ['train']:\n" + textwrap.indent(TRAIN + "train(12)\n", "    "))
    r = unstuck("--json", "r.json", "t.py", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "False\n"
    assert _report(tmp_path)["summary"]["steps"] == 0
    r = unstuck("--json", "r.json", "t.py", "train", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "False\n"
    assert _report(tmp_path)["summary"]["steps"] == 12


@pytest.mark.slow
def test_a_failing_script_shows_the_traceback_python_shows(tmp_path):
    (tmp_path / "t.py").write_text(TRAIN + "train(3)\n"
                                   "def bad():\n    return F.mse_loss(m(X), y[:3])\n"
                                   "try:\n    bad()\nexcept RuntimeError as e:\n    raise ValueError('wrapped') from e\n")
    plain = python("t.py", cwd=tmp_path)
    watched = unstuck("t.py", cwd=tmp_path)
    assert plain.returncode == watched.returncode == 1
    assert watched.stderr.startswith(plain.stderr)
