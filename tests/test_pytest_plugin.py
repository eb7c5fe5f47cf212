"""`pytest --unstuck`: each test's training watched and judged, run on inner test files with pytester."""
import os
import subprocess
import sys

import pytest
import torch

import unstuck
from unstuck import watching

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.unstuck(skip=True)  # the inner runs train; `pytest --unstuck` here judges them there

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The inner test files: the classic broadcast bug ([N, 1] prediction against an [N] target) and
# its fixed twin, trained the same way.
TRAINING = """
import warnings
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import unstuck

def train(broadcast, steps=60):
    torch.manual_seed(0)
    x = torch.randn(128, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for step in range(steps):
        i = step % 4 * 32
        out = model(x[i:i + 32])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = F.mse_loss(out if broadcast else out.squeeze(1), y[i:i + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
"""

TESTS = TRAINING + """
def test_broken():
    train(broadcast=True)

def test_fixed():
    train(broadcast=False)

def test_trains_nothing():
    assert torch.ones(3).sum() == 3

@pytest.mark.unstuck(skip=True)
def test_opted_out():
    train(broadcast=True)

@pytest.mark.unstuck(ignore=["loss-broadcast"], fail_on="warning")
def test_warnings_fail_it():
    train(broadcast=True)

def test_watches_itself():
    with unstuck.watch() as session:
        train(broadcast=True)
    assert session.report().findings[0].cause == "loss-broadcast"

def test_fails_by_itself():
    train(broadcast=True)
    assert False, "its own failure"
"""


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """Run the inner tests' training once here, watched, so that what it imports lazily (unstuck's
    rules and renderers, torch._dynamo from Adam's step) is imported by this process: an
    in-process inner run drops the modules it imported when it ends, and importing some of them
    twice breaks torch (a TORCH_LIBRARY registered twice) or unstuck (two session modules)."""
    namespace = {}
    exec(compile(TRAINING, "<inner training>", "exec"), namespace)
    with unstuck.watch() as session:
        namespace["train"](broadcast=True, steps=2)
    str(session.report())


def _outcomes(result) -> dict[str, str]:
    return {r.nodeid.split("::")[-1]: r.outcome for r in result.reprec.getreports("pytest_runtest_logreport")
            if r.when == "call"}


def test_with_unstuck_the_broken_training_fails_with_the_report(pytester):
    pytester.makepyfile(test_inner=TESTS)
    result = pytester.runpytest_inprocess("--unstuck", "-p", "no:cacheprovider")
    assert _outcomes(result) == {
        "test_broken": "failed", "test_fixed": "passed", "test_trains_nothing": "passed",
        "test_opted_out": "passed", "test_warnings_fail_it": "failed", "test_watches_itself": "passed",
        "test_fails_by_itself": "failed"}
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*_ test_broken _*",
        "unstuck: the training in this test has error-level findings (loss-broadcast)",
        "*ERROR loss-broadcast*",
        "*inner.py:* in train*",
        "*Fix:*",
    ])
    assert "has warning-level findings (" in out and "prediction-collapse" in out
    assert "AssertionError: its own failure" in out and "Captured unstuck call" in out  # its failure stands
    result.stdout.fnmatch_lines([
        "*= unstuck: tests whose training has findings =*",
        "test_inner.py::test_broken: loss-broadcast (error)  [failed by unstuck]",
    ])
    summary = out.split("unstuck: tests whose training has findings")[1]
    assert "test_fixed" not in summary and "test_opted_out" not in summary and "test_trains_nothing" not in summary


def test_without_unstuck_nothing_is_watched(pytester):
    pytester.makepyfile(test_inner=TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-k", "not fails_by_itself")
    result.assert_outcomes(passed=6)
    assert "unstuck report" not in result.stdout.str() and "training has findings" not in result.stdout.str()


def test_the_ini_switches_it_on_and_the_option_sets_the_level(pytester):
    pytester.makeini("[pytest]\nunstuck = true\n")
    pytester.makepyfile(test_inner=TRAINING + """
@pytest.mark.unstuck(ignore=["loss-broadcast"])
def test_collapses():
    train(broadcast=True)
""")
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--unstuck-fail-on=warning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*prediction-collapse*"])


def test_a_failure_inside_unstuck_never_fails_a_test(pytester, monkeypatch):
    def broken_start(self):
        raise RuntimeError("unstuck is broken")
    monkeypatch.setattr(watching.WatchSession, "start", broken_start)
    pytester.makepyfile(test_inner=TRAINING + """
def test_broken():
    train(broadcast=True, steps=5)
""")
    result = pytester.runpytest_inprocess("--unstuck", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*UnstuckPluginWarning: unstuck could not watch this test: RuntimeError*"])


def test_a_misused_marker_fails_its_test_with_a_clear_message(pytester):
    pytester.makepyfile(test_inner="""
import pytest

@pytest.mark.unstuck(fail_on="sometimes")
def test_misused():
    pass
""")
    result = pytester.runpytest_inprocess("--unstuck", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fail_on must be one of error, warning, never, not 'sometimes'*"])


def test_the_marker_is_registered(pytester):
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.unstuck(skip=False, *"])


@pytest.mark.slow
def test_the_example_passes_under_unstuck():
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/pytest",
                           "--unstuck"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout and "failed" not in proc.stdout
