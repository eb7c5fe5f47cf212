"""Distributed training: every process watched, one report.

`unstuck run --nproc-per-node N train.py ARGS` runs the script as
`torchrun --standalone --nproc-per-node N train.py ARGS` would: it builds its launch with
torchrun's own argument parser and `config_from_args`, and starts the workers with torch's
elastic launcher (`elastic_launch`), so each process gets exactly torchrun's environment
(RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT on a free port,
TORCHELASTIC_*, OMP_NUM_THREADS=1 unless set) and a failing rank stops the others as under
torchrun. Each worker is `python -u -m unstuck run` in worker mode: the script runs with the
same python parity as a single-process `run`, under the usual observation plus a
`DistributedObserver`, and writes its result (Trace, status, tool errors) into a folder of the
parent's; it prints no report. The parent then judges rank 0's Trace, with every rank's
distributed facts attached (`trace.distributed`), and prints one report.

A script already started by an outside `torchrun ... $(which unstuck) run train.py`: each
rank runs under observation and writes its result into a folder named after the launch
(TORCHELASTIC_RUN_ID, MASTER_ADDR, MASTER_PORT) in the temporary directory; ranks other than 0
print nothing and exit as the script did; rank 0 waits (at most `GATHER_TIMEOUT` seconds) for
the other ranks of its node and prints the one report. Ranks on other nodes are not gathered.
"""
from __future__ import annotations

import contextlib
import logging
import os
import pickle
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence

from unstuck.findings import Report, Severity, ToolError
from unstuck.runner import ScriptResult, run_script
from unstuck.trace import DistributedRun, Trace

log = logging.getLogger(__name__)

FOLDER_ENV = "UNSTUCK_DIST_DIR"  # set by `unstuck run --nproc-per-node` for its workers
GATHER_TIMEOUT = 30.0  # seconds rank 0 waits for the other ranks under an outside torchrun
GATHER_POLL = 0.1
GATHER_TELL_AFTER = 2.0  # seconds of waiting before rank 0 says that it waits
SIGTERM_STATUS = 128 + signal.SIGTERM


def launcher_env(environ=os.environ) -> tuple[int, int, int | None] | None:
    """(rank, world size, local rank) that torchrun (or a compatible launcher) gave this
    process, or None outside such a launch."""
    try:
        rank, world = int(environ["RANK"]), int(environ["WORLD_SIZE"])
    except (KeyError, ValueError):
        return None
    local = environ.get("LOCAL_RANK", "")
    return rank, world, int(local) if local.isdigit() else None


def mode(environ=os.environ) -> str | None:
    """"worker": a process started by `unstuck run --nproc-per-node`; "torchrun": a process of
    a distributed launch started by something else (torchrun); None: a plain process."""
    if launcher_env(environ) is None:
        return None
    return "worker" if environ.get(FOLDER_ENV) else "torchrun"


# ---------------------------------------------------------------- results on disk
def _result_path(folder: str, rank: int) -> str:
    return os.path.join(folder, f"rank-{rank}.pkl")


def write_result(folder: str, rank: int, result: ScriptResult) -> None:
    """Write a rank's result for the process that reports (atomically: never half a file)."""
    os.makedirs(folder, exist_ok=True)
    path = _result_path(folder, rank)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:  # when it ended: the rank that failed first is the one to show
        pickle.dump((time.time(), result), f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def read_results(folder: str, world_size: int, newer_than: float | None = None) -> dict[int, tuple[float, ScriptResult]]:
    """rank -> (when its script ended, its result), for the ranks that wrote one."""
    out = {}
    for rank in range(world_size):
        path = _result_path(folder, rank)
        try:
            if newer_than is not None and os.stat(path).st_mtime < newer_than:
                continue  # left over from an earlier launch with the same name
            with open(path, "rb") as f:
                out[rank] = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
            continue
    return out


# ---------------------------------------------------------------- one rank
def run_rank(script: str, script_args: Sequence[str], *, folder: str, module: bool = False,
             max_steps: int | None = None, profile: str = "default", observers=()) -> ScriptResult:
    """Run this process's share of a distributed run under observation, with its distributed
    facts, and write the result into `folder` (also when SIGTERM ends the run)."""
    from unstuck.observe.distributed import DistributedObserver
    rank, world, local = launcher_env()
    watch = [*observers, DistributedObserver(rank, world, local)]
    result = run_script(script, list(script_args), module=module, max_steps=max_steps, profile=profile,
                        observers=watch, on_terminate=lambda r: write_result(folder, rank, r))
    write_result(folder, rank, result)
    return result


# ---------------------------------------------------------------- the launcher
@contextlib.contextmanager
def _environ(**values: str):
    """Environment variables for the workers, and the parent's environment restored after."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _signal_handlers_kept():
    """The elastic launcher installs its own SIGTERM/SIGINT/SIGHUP/SIGQUIT handlers (to stop the
    workers) and leaves them: put the caller's back afterwards."""
    names = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT")
    saved = {}
    if threading.current_thread() is threading.main_thread():
        saved = {sig: signal.getsignal(sig) for sig in (getattr(signal, n, None) for n in names) if sig is not None}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)


def _exit_code(code: int | None) -> int:
    if code is None:
        return 0
    return 128 - code if code < 0 else code  # killed by a signal: as a shell shows it


def launch(script: str, script_args: Sequence[str], *, nproc: int, folder: str, module: bool = False,
           max_steps: int | None = None, profile: str = "default") -> tuple[dict[int, int], int | None]:
    """Start `nproc` workers as `torchrun --standalone --nproc-per-node nproc` would, each
    `python -u -m unstuck run` in worker mode writing its result into `folder`. Returns each
    rank's exit code, and the signal number if the launcher itself was stopped by one."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import elastic_launch
    from torch.distributed.run import config_from_args, get_args_parser

    worker = ["run", "--quiet", "--no-log", "--fail-on", "never", "--profile", profile]
    if max_steps is not None:
        worker += ["--max-steps", str(max_steps)]
    worker += ["-m", script] if module else [script]
    # torchrun's own parser and configuration: `torchrun --standalone --nproc-per-node N -m unstuck run ...`
    targs = get_args_parser().parse_args(["--standalone", f"--nproc-per-node={nproc}", "-m", "unstuck",
                                          *worker, *script_args])
    targs.rdzv_backend, targs.rdzv_endpoint, targs.rdzv_id = "c10d", "localhost:0", str(uuid.uuid4())
    codes = {rank: 0 for rank in range(nproc)}
    with _environ(**{FOLDER_ENV: folder}), _signal_handlers_kept():
        config, cmd, cmd_args = config_from_args(targs)
        try:
            elastic_launch(config=config, entrypoint=cmd)(*cmd_args)
        except ChildFailedError as exc:
            codes.update({rank: _exit_code(f.exitcode) for rank, f in exc.failures.items()})
        except SignalException as exc:
            return codes, int(exc.sigval)
    return codes, None


def launch_and_diagnose(script: str, script_args: Sequence[str] = (), *, nproc: int, module: bool = False,
                        max_steps: int | None = None, profile: str = "default", select=None,
                        ignore=None) -> tuple[Report, Trace]:
    """`unstuck run --nproc-per-node nproc`: launch, gather every rank's result, judge them."""
    with tempfile.TemporaryDirectory(prefix="unstuck-dist-") as folder:
        codes, stopped_by = launch(script, script_args, nproc=nproc, folder=folder, module=module,
                                   max_steps=max_steps, profile=profile)
        results = read_results(folder, nproc)
    report, trace = diagnose_ranks(script, results, nproc, codes=codes, select=select, ignore=ignore)
    if stopped_by is not None and not report.script_status:
        report.script_status = 128 + stopped_by
        report.script_error = f"interrupted ({signal.Signals(stopped_by).name})"
    return report, trace


# ---------------------------------------------------------------- an outside torchrun
def gather_folder(environ=os.environ) -> str:
    """Where the ranks of an outside launch meet: named after the launch, so that concurrent
    launches do not mix."""
    name = "-".join(environ.get(k, "") for k in ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT"))
    return os.path.join(tempfile.gettempdir(), "unstuck-dist-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name))


def gather_and_diagnose(own: ScriptResult, folder: str, *, started: float, select=None, ignore=None,
                        environ=os.environ) -> tuple[Report, Trace]:
    """Rank 0 under an outside torchrun: wait for the other ranks of this node, then judge."""
    _, world, _ = launcher_env(environ)
    local_world = int(environ.get("LOCAL_WORLD_SIZE") or 1)  # unknown: the other ranks may be anywhere
    deadline = time.monotonic() + GATHER_TIMEOUT
    told = False
    results = read_results(folder, world, newer_than=started)
    while len(results) < local_world and time.monotonic() < deadline:
        if not told and time.monotonic() > deadline - GATHER_TIMEOUT + GATHER_TELL_AFTER:
            print(f"unstuck: waiting for the other ranks to finish (at most {GATHER_TIMEOUT:g} s)",
                  file=sys.stderr)
            told = True
        time.sleep(GATHER_POLL)
        results = read_results(folder, world, newer_than=started)
    results.setdefault(0, (time.time(), own))  # its own file, with when it ended, is there normally
    for rank in results:
        with contextlib.suppress(OSError):
            os.remove(_result_path(folder, rank))
    with contextlib.suppress(OSError):
        os.rmdir(folder)
    report, trace = diagnose_ranks(own.trace.script, results, world, select=select, ignore=ignore)
    if world > local_world:
        report.notes.append(f"Only the {local_world} process(es) on this node were compared; ranks on other "
                            f"nodes were not gathered.")
    return report, trace


# ---------------------------------------------------------------- judging the ranks together
def _rank_status(rank: int, results: dict[int, tuple[float, ScriptResult]],
                 codes: dict[int, int]) -> tuple[int, str | None]:
    result = results[rank][1] if rank in results else None
    code = codes.get(rank, 0)
    if result is None:
        return code, (f"exited with status {code} before unstuck could record it" if code else None)
    if result.status:
        return result.status, result.error
    if code:  # the script finished, then the process failed (at exit, or killed after writing)
        return code, f"the process exited with status {code} after the script ended"
    return 0, None


def _failure(world: int, results, codes) -> tuple[int | None, str | None]:
    """The run's failure: the rank whose script failed first (the others usually fail because
    it did: a collective loses its peer, or the launcher stops them with SIGTERM)."""
    failed = [(rank, *_rank_status(rank, results, codes)) for rank in range(world)]
    failed = [f for f in failed if f[1]]
    if not failed:
        return None, None

    def order(f):
        rank, status, _ = f
        return status == SIGTERM_STATUS, results[rank][0] if rank in results else float("inf"), rank

    rank, status, error = min(failed, key=order)
    return status, f"rank {rank}: {error or f'exited with status {status}'}"


def diagnose_ranks(script: str, ended: dict[int, tuple[float, ScriptResult]], world: int, *,
                   codes: dict[int, int] | None = None, select=None, ignore=None) -> tuple[Report, Trace]:
    """One report for a distributed run from each rank's (end time, result): the single-process
    rules on the lowest rank that reported (rank 0 normally), the distributed rules on every
    rank's facts."""
    from unstuck.api import diagnose_result
    codes = codes or {}
    results = {rank: r for rank, (_, r) in ended.items()}
    lead = min(results) if results else None
    trace = results[lead].trace if lead is not None else Trace(script=script)
    facts = [r.trace.distributed.ranks[0] for _, r in sorted(results.items())
             if r.trace.distributed is not None and r.trace.distributed.ranks]
    trace.distributed = DistributedRun(world_size=world, ranks=facts,
                                       missing=tuple(r for r in range(world) if r not in {f.rank for f in facts}))
    status, error = _failure(world, ended, codes)
    tool_errors = _merged_tool_errors(results)
    report = diagnose_result(ScriptResult(trace=trace, status=status, error=error, tool_errors=tool_errors),
                             select=select, ignore=ignore)
    report.summary.update(processes=world, rank=lead, ranks_reported=sorted(results))
    report.notes += _other_ranks(results, lead, report, select, ignore)
    if facts and not any(f.backend for f in facts):
        report.notes.append("No process initialized a process group (`torch.distributed.init_process_group`) "
                            "before its first optimizer step: the processes ran as independent copies of the script.")
    if trace.distributed.missing:
        report.notes.append("No facts came back from rank(s) " + ", ".join(map(str, trace.distributed.missing))
                            + ": they were not compared.")
    return report, trace


def _merged_tool_errors(results: dict[int, ScriptResult]) -> list[ToolError]:
    merged: dict[tuple[str, str], ToolError] = {}
    for rank, r in sorted(results.items()):
        for e in r.tool_errors:
            key = (e.where, e.error)
            if key in merged:
                merged[key].count += e.count
            else:
                merged[key] = ToolError(where=e.where if rank == 0 else f"{e.where} (rank {rank})",
                                        error=e.error, count=e.count)
    return list(merged.values())


def _other_ranks(results: dict[int, ScriptResult], lead, report: Report, select, ignore) -> list[str]:
    """Notes for causes that other ranks show and the reported rank does not (a rank-dependent bug)."""
    from unstuck.diagnose import diagnose
    shown = {f.cause for f in report.diagnosis}
    notes = []
    for rank, r in sorted(results.items()):
        if rank == lead:
            continue
        alone = Trace(**{**vars(r.trace), "distributed": None})
        found = {f.cause for f in diagnose(alone, select_=select, ignore=ignore).findings
                 if f.severity is not Severity.INFO} - shown
        if found:
            notes.append(f"Rank {rank} also shows: {', '.join(sorted(found))} (only rank {lead}'s findings are "
                         f"detailed here).")
    return notes
