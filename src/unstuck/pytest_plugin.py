"""`pytest --unstuck`: watch the training each test does and fail the test that trains badly.

    pytest --unstuck                       # fail tests whose training has error-level findings
    pytest --unstuck --unstuck-fail-on=warning

    [pytest]                               # or switch it on in pytest.ini / pyproject.toml
    unstuck = true

Each test's call phase runs inside `unstuck.watch()`, labelled with the test's id. A test that
trains nothing gets no judgement. A test that passes, but whose training has findings at or
above the fail level, fails with unstuck's terminal report as its message; a test that fails
by itself keeps its own failure, with the report added as a section of its output. Tests with
findings are listed at the end of the run.

One test is tuned with a marker (the marker closest to the test wins, key by key):

    @pytest.mark.unstuck(ignore=["loss-plateau"], select=None, fail_on="warning", profile="economy")
    @pytest.mark.unstuck(skip=True)        # not watched

Watching is transparent: the test computes what it computes without the plugin, a test that
uses `unstuck.watch()` itself still works (sessions nest, and its block is its own), and a
failure inside unstuck never fails a test: it becomes a warning. This module is loaded by
every pytest run where unstuck is installed (the `pytest11` entry point), so it imports
neither torch nor the rest of unstuck until a test is watched.
"""
from __future__ import annotations

import pytest

FAIL_ON = ("error", "warning", "never")
_MARKER_KEYS = ("skip", "select", "ignore", "fail_on", "profile")
_RESULTS = pytest.StashKey[list]()  # (nodeid, report, failed_by_unstuck), one per judged test


class UnstuckPluginWarning(pytest.PytestWarning):
    """A failure inside unstuck while it watched a test; the test's own result stands."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("unstuck", "unstuck: why the network in a test is not learning")
    group.addoption("--unstuck", action="store_true", default=None,
                    help="watch each test's training with unstuck.watch() and fail tests whose training has "
                         "findings at the --unstuck-fail-on level")
    group.addoption("--unstuck-fail-on", choices=FAIL_ON, default=None,
                    help="the severity that fails a test: error (default), warning, or never (report only)")
    parser.addini("unstuck", type="bool", default=False, help="watch each test's training (as --unstuck)")
    parser.addini("unstuck_fail_on", default="error", help="the severity that fails a test (as --unstuck-fail-on)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "unstuck(skip=False, select=None, ignore=None, fail_on=None, profile=None): how `pytest --unstuck` "
        "judges this test's training (skip=True: not watched)")
    config.stash[_RESULTS] = []


def _enabled(config: pytest.Config) -> bool:
    option = config.getoption("unstuck", None)
    return bool(config.getini("unstuck")) if option is None else bool(option)


def _settings(item: pytest.Item) -> dict:
    """The test's marker arguments over the command line's: the closest marker wins, key by key."""
    fail_on = item.config.getoption("unstuck_fail_on", None) or item.config.getini("unstuck_fail_on")
    settings = {"skip": False, "select": None, "ignore": None, "fail_on": fail_on, "profile": "default"}
    for mark in reversed(list(item.iter_markers("unstuck"))):
        unknown = set(mark.kwargs) - set(_MARKER_KEYS)
        if mark.args or unknown:
            pytest.fail(f"@pytest.mark.unstuck takes only the keywords {', '.join(_MARKER_KEYS)} "
                        f"(got {mark.args or sorted(unknown)})", pytrace=False)
        settings.update({k: v for k, v in mark.kwargs.items() if v is not None})
    if settings["fail_on"] not in FAIL_ON:
        pytest.fail(f"unstuck fail_on must be one of {', '.join(FAIL_ON)}, not {settings['fail_on']!r}",
                    pytrace=False)
    return settings


def _failing(report, fail_on: str) -> list:
    """The findings that fail the test at `fail_on`."""
    levels = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on]
    return [f for f in report.findings if f.severity.value in levels]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # An old-style wrapper with `outcome.force_exception` (pluggy >= 1.1), so that the plugin
    # loads under every pytest it may meet through the entry point.
    if not _enabled(item.config):
        yield
        return
    settings = _settings(item)
    if settings["skip"]:
        yield
        return
    session = None
    try:
        import unstuck
        session = unstuck.watch(profile=settings["profile"], select=settings["select"],
                                ignore=settings["ignore"], label=item.nodeid).start()
    except Exception as exc:
        item.warn(UnstuckPluginWarning(f"unstuck could not watch this test: {type(exc).__name__}: {exc}"))
    outcome = yield
    if session is None:
        return
    raised = outcome.excinfo[1] if outcome.excinfo else None
    try:
        report = session.stop(raised)
        if not report.judged or isinstance(raised, pytest.skip.Exception):
            return
        failing = _failing(report, settings["fail_on"]) if raised is None else []
        item.config.stash[_RESULTS].append((item.nodeid, report, bool(failing)))
        text = str(report).strip("\n")
    except Exception as exc:
        item.warn(UnstuckPluginWarning(f"unstuck could not judge this test: {type(exc).__name__}: {exc}"))
        return
    if raised is not None:  # the test's own failure stands; the report tells why it may not learn
        item.add_report_section("call", "unstuck", text)
    elif failing:
        causes = ", ".join(sorted({f.cause for f in failing}))
        message = (f"unstuck: the training in this test has {settings['fail_on']}-level findings ({causes})\n\n"
                   f"{text}")
        _fail(outcome, message)


def _fail(outcome, message: str) -> None:
    """Turn the passed call into a failure carrying `message` (no traceback)."""
    try:
        pytest.fail(message, pytrace=False)
    except pytest.fail.Exception as exc:
        if hasattr(outcome, "force_exception"):
            outcome.force_exception(exc)
        else:  # pluggy < 1.1: an exception raised in the wrapper becomes the call's outcome
            raise


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """One line per watched test whose training has warnings or errors: its root causes."""
    results = [r for r in config.stash.get(_RESULTS, []) if r[1].roots]
    if not results:
        return
    terminalreporter.write_sep("=", "unstuck: tests whose training has findings")
    for nodeid, report, failed in results:
        causes = ", ".join(dict.fromkeys(f"{f.cause} ({f.severity.value})" for f in report.roots))
        terminalreporter.write_line(f"{nodeid}: {causes}{'  [failed by unstuck]' if failed else ''}")
