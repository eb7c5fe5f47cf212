"""The hard-healthy corpus: healthy training scripts that use real but less common
PyTorch features. Each one is run twice in a subprocess, with plain `python` and with
`python -m unstuck run --json ...`, and the two runs are compared:

- same:    identical `RESULT` line (final loss and a parameter checksum, printed with repr)
- silent:  no finding at warning level or above
- status:  identical exit status
- no tool errors: the report lists none
- quiet:   nothing on stderr points into unstuck's own source files

Each script must also learn: its `RESULT` line starts with a first and a final loss (or
another lower-is-better measure), and the final one must be below `learn` (default 0.8)
times the first one in the plain run.

    python tests/healthy/corpus.py [--jobs 2] [--folder FOLDER] [NAME ...]

prints one line per script and the summary.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORTED = ("error", "warning")
LEARN_RATIO = 0.8  # the final loss must be below this share of the first one
TIMEOUT_S = 300
# The scripts run one torch thread each: parallel runs do not fight over the cores, and the
# plain and the watched run compute in the same order.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def unstuck_source_dir() -> str:
    import unstuck
    return os.path.dirname(os.path.abspath(unstuck.__file__))


def load_manifest(folder: Path = HERE) -> dict[str, dict]:
    with open(Path(folder) / "manifest.json") as f:
        return json.load(f)["cases"]


@dataclass
class Run:
    status: int
    result: str | None  # the RESULT line
    stderr: str
    seconds: float
    cpu_seconds: float


@dataclass
class Outcome:
    name: str
    spec: dict
    plain: Run
    watched: Run
    report: dict | None  # the JSON report of the watched run
    source_dir: str = field(default_factory=unstuck_source_dir)

    @property
    def same(self) -> bool:
        return self.plain.result is not None and self.plain.result == self.watched.result

    @property
    def status(self) -> bool:
        return self.plain.status == self.watched.status

    @property
    def findings(self) -> list[str]:
        if self.report is None:
            return []
        return [f"{f['cause']} ({f['severity']})" for f in self.report["findings"] if f["severity"] in REPORTED]

    @property
    def silent(self) -> bool:
        return self.report is not None and not self.findings

    @property
    def tool_errors(self) -> list[str]:
        if self.report is None:
            return ["no JSON report was written"]
        return [f"{e['where']}: {e['error']}" for e in self.report["tool_errors"]]

    @property
    def quiet(self) -> bool:
        return self.source_dir not in self.watched.stderr

    @property
    def learned(self) -> bool:
        losses = first_and_final(self.plain.result)
        return losses is not None and losses[1] < self.spec.get("learn", LEARN_RATIO) * losses[0]

    def problems(self) -> list[str]:
        out = []
        if self.plain.status != 0 or self.plain.result is None:
            out.append(f"the plain run failed (status {self.plain.status}): {self.plain.stderr[-2000:]}")
        elif not self.learned:
            out.append(f"the script does not learn: {self.plain.result}")
        if not self.same:
            out.append(f"RESULT differs: plain {self.plain.result!r}, unstuck {self.watched.result!r}")
        if not self.status:
            out.append(f"exit status differs: plain {self.plain.status}, unstuck {self.watched.status}")
        if self.findings:
            out.append(f"findings: {', '.join(self.findings)}")
        if self.tool_errors:
            out.append(f"tool errors: {'; '.join(self.tool_errors)}")
        if not self.quiet:
            lines = [ln for ln in self.watched.stderr.splitlines() if self.source_dir in ln]
            out.append(f"stderr points into unstuck: {lines[0].strip()[:300]}")
        return out


def first_and_final(result: str | None) -> tuple[float, float] | None:
    if result is None:
        return None
    parts = result.split(" ", 3)
    try:
        return float(parts[1]), float(parts[2])
    except (IndexError, ValueError):
        return None


def _run(cmd: list[str], cwd: Path = HERE) -> Run:
    """Run `cmd`; its CPU time (its own and its waited-for children's, e.g. DataLoader
    workers) comes from wait4, so the corpus's cost is known even on a busy machine."""
    env = {**os.environ, **THREAD_ENV}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timer = threading.Timer(TIMEOUT_S, proc.kill)
    timer.start()
    with ThreadPoolExecutor(max_workers=2) as readers:
        stdout, stderr = readers.submit(proc.stdout.read), readers.submit(proc.stderr.read)
        stdout, stderr = stdout.result(), stderr.result()
    _, wait_status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = status = os.waitstatus_to_exitcode(wait_status)
    proc.stdout.close()
    proc.stderr.close()
    result = next((ln.strip() for ln in reversed(stdout.splitlines()) if ln.startswith("RESULT")), None)
    return Run(status=status, result=result, stderr=stderr, seconds=time.perf_counter() - start,
               cpu_seconds=usage.ru_utime + usage.ru_stime)


def run_case(name: str, spec: dict, python: str = sys.executable, folder: Path = HERE) -> Outcome:
    args = spec.get("args", [])
    plain = _run([python, name, *args], folder)
    with tempfile.TemporaryDirectory() as tmp:
        report_path = os.path.join(tmp, "report.json")
        watched = _run([python, "-m", "unstuck", "run", "--quiet", "--no-log", "--json", report_path, name, *args], folder)
        report = None
        if os.path.exists(report_path):
            with open(report_path) as f:
                report = json.load(f)
    return Outcome(name=name, spec=spec, plain=plain, watched=watched, report=report)


def run_corpus(names=None, jobs: int = 2, folder: Path = HERE) -> dict[str, Outcome]:
    cases = load_manifest(folder)
    names = list(cases) if not names else list(names)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(lambda n: run_case(n, cases[n], folder=folder), names))
    return {o.name: o for o in outcomes}


def summary(outcomes: dict[str, Outcome]) -> str:
    n = len(outcomes)
    counts = {
        "same": sum(o.same for o in outcomes.values()),
        "silent": sum(o.silent for o in outcomes.values()),
        "status": sum(o.status for o in outcomes.values()),
        "no tool errors": sum(not o.tool_errors for o in outcomes.values()),
        "quiet": sum(o.quiet for o in outcomes.values()),
        "learned": sum(o.learned for o in outcomes.values()),
    }
    expected_to_fail = sum(bool(o.spec.get("xfail")) for o in outcomes.values())
    passing = sum(not o.problems() for o in outcomes.values())
    return (", ".join(f"{k} {v}/{n}" for k, v in counts.items())
            + f"; all checks pass {passing}/{n} ({expected_to_fail} marked xfail)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="scripts of the manifest (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=HERE,
                        help="a corpus folder with its manifest.json (default: this one)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    outcomes = run_corpus(args.names, jobs=args.jobs, folder=args.folder.resolve())
    for o in outcomes.values():
        problems = o.problems()
        mark = "ok   " if not problems else ("xfail" if o.spec.get("xfail") else "FAIL ")
        print(f"{mark} {o.name:34s} cpu: plain {o.plain.cpu_seconds:4.1f}s unstuck {o.watched.cpu_seconds:4.1f}s"
              + ("" if not problems else "  " + " | ".join(p[:160] for p in problems)))
    print(summary(outcomes))
    cpu = sum(o.plain.cpu_seconds + o.watched.cpu_seconds for o in outcomes.values())
    print(f"wall time {time.perf_counter() - start:.0f} s with {args.jobs} jobs; CPU time {cpu:.0f} s "
          f"(plain {sum(o.plain.cpu_seconds for o in outcomes.values()):.0f} s)")
    unexpected = [o for o in outcomes.values() if bool(o.problems()) != bool(o.spec.get("xfail"))]
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
