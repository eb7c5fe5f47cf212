"""The run folder: what one `unstuck run` keeps.

    unstuck-runs/train-20260129-014500/
        steps.jsonl        one row per optimizer step (unstuck.logbook.steplog)
        report.json        the machine report (spec/report.md)
        report.txt         the terminal report, as text
        report.html        the visual report (self-contained)
        trace.json         the Trace's facts the charts draw (unstuck.logbook.tracedata)
        checkpoints/       with --checkpoint-every N (unstuck.logbook.checkpoints)
        tensorboard/       event files, when the `tensorboard` package is installed
"""
from __future__ import annotations

import io
import json
import logging
import os
import time
from dataclasses import dataclass

from unstuck.logbook.atomic import atomic_write_text
from unstuck.logbook.checkpoints import RunCheckpoints
from unstuck.logbook.steplog import StepLog, read_steplog
from unstuck.logbook.tracedata import trace_data

log = logging.getLogger(__name__)

STEPS, REPORT_JSON, REPORT_TXT, REPORT_HTML, TRACE_JSON = (
    "steps.jsonl", "report.json", "report.txt", "report.html", "trace.json")
CHECKPOINTS, TENSORBOARD = "checkpoints", "tensorboard"


def new_run_dir(log_dir: str, script: str, now: float | None = None) -> str:
    """Create `<log_dir>/<script-stem>-<YYYYmmdd-HHMMSS>` (with `-2`, `-3`, ... when taken)."""
    stem = os.path.splitext(os.path.basename(script))[0] or "run"
    base = os.path.join(log_dir, f"{stem}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}")
    _refuse_read_only(log_dir)
    os.makedirs(log_dir, exist_ok=True)
    path, n = base, 1
    while True:
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            n += 1
            path = f"{base}-{n}"


def _refuse_read_only(log_dir: str) -> None:
    """A folder whose mode has no write bit is read-only by intent (a shared corpus, say), even
    for root, who could write there anyway: keep no run folder in it."""
    folder = os.path.abspath(log_dir)
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if os.path.isdir(folder) and not os.stat(folder).st_mode & 0o222:
        raise PermissionError(f"{folder} is read-only")


class Logbook:
    """Keeps one run: its step log (always, in memory; on disk with a run folder), its
    checkpoints, and at the end its reports. `observers()` go to `observe_and_diagnose`."""

    def __init__(self, script: str, log_dir: str | None = None, *, checkpoint_every: int | None = None,
                 keep_checkpoints: int = 3, run_dir: str | None = None) -> None:
        self.script = script
        # run_dir: an existing run folder to keep this run's files in (rank 0 of a distributed
        # run writes its step log and checkpoints into the folder its launcher created)
        self.path = run_dir or (new_run_dir(log_dir, script) if log_dir else None)
        self.steplog = StepLog(self._file(STEPS), tensorboard_dir=self._file(TENSORBOARD))
        self.checkpoints = None
        if checkpoint_every:
            if self.path is None:
                raise ValueError("checkpoints need a run folder (a log_dir)")
            stem = os.path.splitext(os.path.basename(script))[0]
            self.checkpoints = RunCheckpoints(self.steplog, self._file(CHECKPOINTS), stem, checkpoint_every,
                                              keep_checkpoints)

    def _file(self, name: str) -> str | None:
        return os.path.join(self.path, name) if self.path else None

    def observers(self) -> list:
        return [self.steplog] + ([self.checkpoints] if self.checkpoints else [])

    def finish(self, report, trace=None, html_path: str | None = None) -> None:
        """Write the reports into the run folder, and the HTML page to `html_path` too. The
        Trace defaults to the one the step log watched (none for a table's checkup)."""
        trace = trace if trace is not None else self.steplog.trace
        has_checkpoints = bool(self.checkpoints and self.checkpoints.checkpointer.entries) or bool(
            self.path and os.path.isfile(os.path.join(self.path, CHECKPOINTS, "checkpoints.json")))
        page = None
        if self.path or html_path:
            page = render_page(report, self.steplog, trace, label=self.path or self.script, run_dir=self.path,
                               has_checkpoints=has_checkpoints)
        if html_path:
            from unstuck.report.html import write_html
            write_html(html_path, page)
        if self.path:
            write_reports(self.path, report, trace, page)


def render_page(report, steplog: StepLog | None, trace, *, label: str, run_dir: str | None = None,
                has_checkpoints: bool = False) -> str:
    """The visual report of a run (one self-contained HTML page)."""
    from unstuck.report.html import RunView, render_html, report_dict
    view = RunView(report=report_dict(report), rows=steplog.rows if steplog else [],
                   trace=trace_data(trace) if trace is not None else None,
                   header=steplog.header() if steplog else None, run_dir=run_dir, label=label,
                   has_checkpoints=has_checkpoints)
    return render_html(view)


def write_reports(folder: str, report, trace, page: str) -> None:
    """report.json, trace.json, report.txt and report.html into a run folder."""
    from unstuck.report.html import write_html
    from unstuck.report.json import write as write_json
    write_json(report, os.path.join(folder, REPORT_JSON))
    if trace is not None:
        atomic_write_text(os.path.join(folder, TRACE_JSON), json.dumps(trace_data(trace)) + "\n")
    atomic_write_text(os.path.join(folder, REPORT_TXT), terminal_text(report))
    write_html(os.path.join(folder, REPORT_HTML), page)


def save_run(folder: str, report, steplog: StepLog | None, trace) -> str:
    """Keep a run watched in-process (`unstuck.watch()`) as a run folder that `unstuck show`
    and `unstuck compare` read: `folder` itself when it is new or empty, else a new dated
    folder inside it. Returns the run folder."""
    if os.path.isdir(folder) and os.listdir(folder):
        folder = new_run_dir(folder, report.script or "watch")
    os.makedirs(folder, exist_ok=True)
    if steplog is not None:
        atomic_write_text(os.path.join(folder, STEPS), steplog.jsonl())
    page = render_page(report, steplog, trace, label=folder, run_dir=folder)
    write_reports(folder, report, trace, page)
    return folder


def terminal_text(report, width: int = 100) -> str:
    from rich.console import Console

    from unstuck.report.terminal import render
    buf = io.StringIO()
    render(report, Console(file=buf, width=width, color_system=None, highlight=False, force_terminal=False,
                    force_jupyter=False))
    return buf.getvalue()


@dataclass
class Run:
    """A past run, read back from its folder."""

    path: str
    report: dict
    rows: list[dict]
    header: dict
    trace: dict | None
    text: str | None
    checkpoints: list[dict]

    @property
    def label(self) -> str:
        return os.path.basename(os.path.normpath(self.path))

    def view(self):
        from unstuck.report.html import RunView
        return RunView(report=self.report, rows=self.rows, trace=self.trace, header=self.header, run_dir=self.path,
                       label=self.label, has_checkpoints=bool(self.checkpoints))


class NotARunDir(Exception):
    pass


def latest_run(path: str) -> str:
    """`path` itself when it is a run folder, else its newest run folder."""
    if os.path.isfile(os.path.join(path, REPORT_JSON)) or not os.path.isdir(path):
        return path
    runs = [os.path.join(path, d) for d in os.listdir(path) if os.path.isfile(os.path.join(path, d, REPORT_JSON))]
    return max(runs, key=os.path.getmtime) if runs else path


def load_run(path: str) -> Run:
    report_path = os.path.join(path, REPORT_JSON)
    if not os.path.isfile(report_path):
        raise NotARunDir(f"{path} is not an unstuck run folder (no {REPORT_JSON})")
    with open(report_path) as f:
        report = json.load(f)
    header, rows = ({}, [])
    if os.path.isfile(os.path.join(path, STEPS)):
        header, rows = read_steplog(os.path.join(path, STEPS))
    trace = None
    if os.path.isfile(os.path.join(path, TRACE_JSON)):
        with open(os.path.join(path, TRACE_JSON)) as f:
            trace = json.load(f)
    text = None
    if os.path.isfile(os.path.join(path, REPORT_TXT)):
        with open(os.path.join(path, REPORT_TXT)) as f:
            text = f.read()
    checkpoints = []
    index = os.path.join(path, CHECKPOINTS, "checkpoints.json")
    if os.path.isfile(index):
        with open(index) as f:
            checkpoints = json.load(f).get("checkpoints", [])
    return Run(path=path, report=report, rows=rows, header=header, trace=trace, text=text, checkpoints=checkpoints)
