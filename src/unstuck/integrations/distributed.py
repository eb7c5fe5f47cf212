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

A script started by an outside `torchrun ... -m unstuck run train.py`, on one node or many: each
rank runs under observation and, once its script has ended, sends its result to rank 0 through
the launch's own store (`StoreChannel`: the TCPStore torchrun's agents host for the launch at
MASTER_ADDR:MASTER_PORT when TORCHELASTIC_USE_AGENT_STORE=True; a client and keys of
unstuck's own, independent of the script's process group). Before its script starts, a rank
announces itself (a few bytes: node, host, pid), so that a rank that never sends is reported
with its last known state; nothing is sent during training. Ranks other than 0 print nothing
and exit as the script did; rank 0 waits at most `GATHER_TIMEOUT` seconds (plus
`STORE_TIMEOUT` for reading, with a slow store) and prints the one report. Without an agent
store, the ranks of rank 0's node meet in a folder of its temporary directory (`FolderChannel`),
as the workers of `--nproc-per-node` meet their parent.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import re
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Sequence
from typing import NamedTuple

from unstuck.findings import Report, Severity, ToolError
from unstuck.runner import ScriptResult, run_script
from unstuck.trace import DistributedRun, Trace

log = logging.getLogger(__name__)

FOLDER_ENV = "UNSTUCK_DIST_DIR"  # set by `unstuck run --nproc-per-node` for its workers
RUN_DIR_ENV = "UNSTUCK_DIST_RUN_DIR"  # the parent's run folder: rank 0 keeps its step log there
CHECKPOINT_ENV = "UNSTUCK_DIST_CHECKPOINT"  # "EVERY,KEEP": rank 0 saves checkpoints into the run folder
GATHER_TIMEOUT = 30.0  # seconds rank 0 waits for the other ranks under an outside torchrun
GATHER_POLL = 0.1
GATHER_TELL_AFTER = 2.0  # seconds of waiting before rank 0 says that it waits
TERM_GATHER_TIMEOUT = 5.0  # seconds rank 0 waits for the others when SIGTERM stops it (torchrun kills at 30)
STORE_TIMEOUT = 10.0  # seconds for connecting to the launch's store and for each of its operations
RANK_STEP_ROWS = 2000  # rows of the step log kept by a rank other than 0 (thinned beyond)
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


# ---------------------------------------------------------------- what a rank sends back
class Ended(NamedTuple):
    """What one rank sends to the reporting process when its script has ended."""

    time: float  # when its script ended (wall clock): the rank that failed first is the one to show
    result: ScriptResult
    node: int | None = None  # torchrun's GROUP_RANK: which node (agent) the rank ran on
    host: str | None = None
    steps: str | None = None  # its step log (JSON lines, thinned), for the run folder


def _ended(entry) -> Ended:
    return entry if isinstance(entry, Ended) else Ended(*entry)


def _node(environ=os.environ) -> int | None:
    value = environ.get("GROUP_RANK", "")
    return int(value) if value.isdigit() else None


def rank_state(rank: int, environ=os.environ, **more) -> dict:
    """A rank's last known state, small and JSON: where it runs and how far it got."""
    return {"rank": rank, "node": _node(environ), "host": socket.gethostname(), "pid": os.getpid(),
            "time": time.time(), **more}


# ---------------------------------------------------------------- results on disk (one node)
def _result_path(folder: str, rank: int) -> str:
    return os.path.join(folder, f"rank-{rank}.pkl")


def write_result(folder: str, rank: int, result: ScriptResult | Ended) -> None:
    """Write a rank's result for the process that reports (atomically: never half a file)."""
    os.makedirs(folder, exist_ok=True)
    ended = result if isinstance(result, Ended) else Ended(time.time(), result)
    path = _result_path(folder, rank)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        pickle.dump(tuple(ended), f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def read_results(folder: str, world_size: int, newer_than: float | None = None) -> dict[int, Ended]:
    """rank -> what it sent (`Ended`), for the ranks that wrote one."""
    out = {}
    for rank in range(world_size):
        path = _result_path(folder, rank)
        try:
            if newer_than is not None and os.stat(path).st_mtime < newer_than:
                continue  # left over from an earlier launch with the same name
            with open(path, "rb") as f:
                out[rank] = Ended(*pickle.load(f))
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, TypeError):
            continue
    return out


class FolderChannel:
    """The ranks of one node meet in a local folder: `--nproc-per-node` (the parent reads it),
    and an outside launch without an agent store (only the reporting node's ranks are gathered)."""

    node_local = True

    def __init__(self, folder: str, started: float | None = None) -> None:
        self.folder, self.started = folder, started

    def announce(self, rank: int, state: dict) -> None:
        pass

    def send(self, rank: int, ended: Ended) -> None:
        write_result(self.folder, rank, ended)

    def gather(self, world: int, own: Ended, timeout: float, environ=os.environ) -> tuple[dict[int, Ended], dict]:
        local_world = int(environ.get("LOCAL_WORLD_SIZE") or 1)  # the other nodes' ranks never come
        results = _waited(lambda: read_results(self.folder, world, newer_than=self.started),
                          lambda got: len(got) >= local_world, timeout)
        results.setdefault(0, own)
        for rank in results:
            with contextlib.suppress(OSError):
                os.remove(_result_path(self.folder, rank))
        with contextlib.suppress(OSError):
            os.rmdir(self.folder)
        return results, {}


# ---------------------------------------------------------------- results through the launch's store
def agent_store(environ=os.environ) -> tuple[str, int] | None:
    """(host, port) of the store that torchrun's agents host for the whole launch (c10d and static
    rendezvous share it with the workers: TORCHELASTIC_USE_AGENT_STORE=True, MASTER_ADDR/PORT).
    It outlives the workers (the agents wait for every node at their exit barrier) and does not
    depend on the script's own process group, which it may never create or may destroy."""
    if environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        return None
    try:
        return environ["MASTER_ADDR"], int(environ["MASTER_PORT"])
    except (KeyError, ValueError):
        return None


class StoreChannel:
    """Every rank of every node meets rank 0 in the launch's own TCPStore, under keys of its own
    (`unstuck/<run id>/<restart>/...`), through a client connection of its own: nothing goes
    through a filesystem, nothing through the script's process group. A rank announces itself
    (a few bytes) before its script starts, and sends its result once, after its script ended;
    nothing is sent during training."""

    node_local = False

    def __init__(self, host: str, port: int, prefix: str, timeout: float = STORE_TIMEOUT) -> None:
        self.host, self.port, self.prefix, self.timeout = host, port, prefix, timeout
        self._store = None

    @classmethod
    def for_launch(cls, environ=os.environ) -> StoreChannel | None:
        address = agent_store(environ)
        if address is None:
            return None
        run = "/".join(environ.get(k, "") for k in ("TORCHELASTIC_RUN_ID", "TORCHELASTIC_RESTART_COUNT"))
        return cls(*address, prefix=f"unstuck/{run}/")

    def store(self):
        if self._store is None:
            from datetime import timedelta

            from torch.distributed import PrefixStore, TCPStore
            client = TCPStore(self.host, self.port, is_master=False, timeout=timedelta(seconds=self.timeout),
                              wait_for_workers=False)
            self._store = PrefixStore(self.prefix, client)
        return self._store

    def announce(self, rank: int, state: dict) -> None:
        self.store().set(f"state/{rank}", json.dumps(state))

    def send(self, rank: int, ended: Ended) -> None:
        store = self.store()
        store.set(f"state/{rank}", json.dumps(rank_state(rank, ended=True, status=ended.result.status,
                                                         error=ended.result.error, steps=ended.result.trace.ticks)))
        if rank:  # rank 0 reports: its own result stays in its process
            store.set(f"result/{rank}", zlib.compress(pickle.dumps(tuple(ended), protocol=pickle.HIGHEST_PROTOCOL), 1))
        store.add("sent", 1)

    def gather(self, world: int, own: Ended, timeout: float, environ=os.environ) -> tuple[dict[int, Ended], dict]:
        """Wait (at most `timeout` s) until every rank has sent, then read what came. Reading stops
        at `timeout` + STORE_TIMEOUT s in all (a store that answers slowly): the ranks not read
        yet count as missing."""
        hard = time.monotonic() + timeout + self.timeout
        store = self.store()
        _waited(lambda: store.add("sent", 0), lambda sent: sent >= world, timeout)
        results: dict[int, Ended] = {0: own}
        states: dict[int, dict] = {}
        for rank in range(world):
            if time.monotonic() > hard:
                break
            with contextlib.suppress(Exception):  # a rank whose key never came: it stays missing
                if rank and store.check([f"result/{rank}"]):
                    results[rank] = Ended(*pickle.loads(zlib.decompress(store.get(f"result/{rank}"))))
            with contextlib.suppress(Exception):
                if store.check([f"state/{rank}"]):
                    states[rank] = json.loads(store.get(f"state/{rank}"))
            for key in (f"result/{rank}", f"state/{rank}"):  # the agents' store keeps nothing of ours
                with contextlib.suppress(Exception):
                    store.delete_key(key)
        return results, states


def _waited(poll, done, timeout: float):
    """poll() until done(value) or `timeout` seconds; says on stderr that it waits after a while."""
    deadline = time.monotonic() + timeout
    told = False
    value = poll()
    while not done(value) and time.monotonic() < deadline:
        if not told and time.monotonic() > deadline - timeout + GATHER_TELL_AFTER:
            print(f"unstuck: waiting for the other ranks to finish (at most {timeout:g} s)", file=sys.stderr)
            told = True
        time.sleep(GATHER_POLL)
        value = poll()
    return value


def channel(environ=os.environ, started: float | None = None):
    """How this rank's result reaches the reporting process: the parent's folder for a worker of
    `unstuck run --nproc-per-node`, the launch's store under torchrun, else a folder of this node."""
    if environ.get(FOLDER_ENV):
        return FolderChannel(environ[FOLDER_ENV])
    return StoreChannel.for_launch(environ) or FolderChannel(gather_folder(environ), started=started)


# ---------------------------------------------------------------- one rank
def run_rank(script: str, script_args: Sequence[str], *, channel, module: bool = False,
             max_steps: int | None = None, profile: str = "default", observers=(), steplog=None,
             on_terminate=None) -> Ended:
    """Run this process's share of a distributed run under observation, with its distributed
    facts, and send what it saw through `channel` (also when SIGTERM ends the run, before
    `on_terminate(ended)`). A failure of the channel is logged, never raised: the script's own
    outcome is what this process ends with. `steplog`: a step log whose rows travel with the result."""
    from unstuck.observe.distributed import DistributedObserver
    rank, world, local = launcher_env()
    watch = [*observers, DistributedObserver(rank, world, local)]
    if steplog is not None:
        watch.append(steplog)
    sent = []

    def send(result: ScriptResult) -> Ended:
        ended = Ended(time.time(), result, _node(), socket.gethostname(), _steps_text(steplog))
        if not sent:
            sent.append(ended)
            try:
                channel.send(rank, ended)
            except Exception as exc:  # noqa: BLE001 - the script's outcome stands; rank 0 says it is missing
                log.debug("sending rank %d's result failed", rank, exc_info=True)
                print(f"unstuck: rank {rank} could not send what it saw to the reporting process: {exc}",
                      file=sys.stderr)
        return sent[0]

    try:
        channel.announce(rank, rank_state(rank, ended=False))
    except Exception as exc:  # noqa: BLE001 - the run goes on; its result is tried again at the end
        log.debug("announcing rank %d failed", rank, exc_info=True)
        print(f"unstuck: rank {rank} could not reach the launch's store: {exc}", file=sys.stderr)

    def terminated(result: ScriptResult) -> None:
        ended = send(result)
        if on_terminate is not None:
            on_terminate(ended)

    result = run_script(script, list(script_args), module=module, max_steps=max_steps, profile=profile,
                        observers=watch, on_terminate=terminated)
    return send(result)


def _steps_text(steplog) -> str | None:
    if steplog is None:
        return None
    try:
        return steplog.jsonl()
    except Exception:  # noqa: BLE001 - a step log is a nicety
        log.debug("reading a rank's step log failed", exc_info=True)
        return None


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
           max_steps: int | None = None, profile: str = "default", run_dir: str | None = None,
           checkpoint: tuple[int, int] | None = None) -> tuple[dict[int, int], int | None]:
    """Start `nproc` workers as `torchrun --standalone --nproc-per-node nproc` would, each
    `python -u -m unstuck run` in worker mode writing its result into `folder` (rank 0 its step
    log, and with `checkpoint` (every, keep) its checkpoints, into `run_dir`). Returns each
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
    env = {FOLDER_ENV: folder}
    if run_dir:
        env[RUN_DIR_ENV] = run_dir
        if checkpoint:
            env[CHECKPOINT_ENV] = f"{checkpoint[0]},{checkpoint[1]}"
    with _environ(**env), _signal_handlers_kept():
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
                        ignore=None, run_dir: str | None = None,
                        checkpoint: tuple[int, int] | None = None) -> tuple[Report, Trace, dict[int, Ended]]:
    """`unstuck run --nproc-per-node nproc`: launch, gather every rank's result, judge them."""
    with tempfile.TemporaryDirectory(prefix="unstuck-dist-") as folder:
        codes, stopped_by = launch(script, script_args, nproc=nproc, folder=folder, module=module,
                                   max_steps=max_steps, profile=profile, run_dir=run_dir, checkpoint=checkpoint)
        results = read_results(folder, nproc)
    report, trace = diagnose_ranks(script, results, nproc, codes=codes, select=select, ignore=ignore, nodes=1)
    if stopped_by is not None and not report.script_status:
        report.script_status = 128 + stopped_by
        report.script_error = f"interrupted ({signal.Signals(stopped_by).name})"
    return report, trace, results


def worker_logbook(script: str, rank: int, environ=os.environ):
    """A worker's part of the parent's run folder: rank 0 keeps its step log (and checkpoints) in
    it, as a single-process run would; None for the other ranks and without a run folder."""
    run_dir = environ.get(RUN_DIR_ENV)
    if not run_dir or rank != 0:
        return None
    from unstuck.logbook import Logbook
    every, keep = (int(v) for v in (environ.get(CHECKPOINT_ENV) or "0,3").split(","))
    return Logbook(script, run_dir=run_dir, checkpoint_every=every or None, keep_checkpoints=keep)


def rank_steplog():
    """The step log of a rank other than 0: kept in memory, thinned beyond `RANK_STEP_ROWS`
    rows, and sent with the rank's result for the run folder."""
    from unstuck.logbook import StepLog
    return StepLog(None, max_rows=RANK_STEP_ROWS)


def write_rank_steplogs(run_dir: str, ended: dict[int, Ended]) -> list[str]:
    """`ranks/rank-N.steps.jsonl` in the run folder, for every rank but 0 that sent a step log."""
    paths = []
    for rank, e in sorted(ended.items()):
        e = _ended(e)
        if rank == 0 or not e.steps:
            continue
        from unstuck.logbook.atomic import atomic_write_text
        path = os.path.join(run_dir, "ranks", f"rank-{rank}.steps.jsonl")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write_text(path, e.steps)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- an outside torchrun
def gather_folder(environ=os.environ) -> str:
    """Where the ranks of an outside launch meet: named after the launch, so that concurrent
    launches do not mix."""
    name = "-".join(environ.get(k, "") for k in ("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT"))
    return os.path.join(tempfile.gettempdir(), "unstuck-dist-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name))


def gather_and_diagnose(own: ScriptResult | Ended, chan, *, started: float | None = None, select=None,
                        ignore=None, timeout: float | None = None, environ=os.environ) -> tuple[Report, Trace, dict]:
    """Rank 0 under an outside torchrun: wait (at most `timeout` s, GATHER_TIMEOUT by default)
    for what the other ranks send through `chan` (a `StoreChannel`, or a folder: `FolderChannel`,
    or a folder's path), then judge. Returns the report, the Trace shown and every rank's `Ended`."""
    _, world, _ = launcher_env(environ)
    if isinstance(chan, str):
        chan = FolderChannel(chan, started=started)
    own = own if isinstance(own, Ended) else Ended(time.time(), own, _node(environ))
    timeout = GATHER_TIMEOUT if timeout is None else timeout
    problem = None
    try:
        results, states = chan.gather(world, own, timeout, environ=environ)
    except Exception as exc:  # noqa: BLE001 - the store went away: judge rank 0 alone, and say so
        log.debug("gathering the ranks failed", exc_info=True)
        results, states, problem = {0: own}, {}, f"{type(exc).__name__}: {exc}"
    nodes = _nodes(environ, results, states)
    report, trace = diagnose_ranks(own.result.trace.script, results, world, select=select, ignore=ignore,
                                   states=states, nodes=nodes)
    if problem:
        report.notes.append(f"The other ranks' facts could not be gathered ({problem}).")
    elif chan.node_local and world > int(environ.get("LOCAL_WORLD_SIZE") or 1):
        report.notes.append(f"Only the {environ.get('LOCAL_WORLD_SIZE') or 1} process(es) on this node were "
                            f"compared; ranks on other nodes were not gathered (the launch shares no agent store: "
                            f"TORCHELASTIC_USE_AGENT_STORE is not True).")
    return report, trace, results


def _nodes(environ, results: dict[int, Ended], states: dict[int, dict]) -> int | None:
    """How many nodes the launch had: torchrun's GROUP_WORLD_SIZE, else the nodes heard from."""
    value = environ.get("GROUP_WORLD_SIZE", "")
    if value.isdigit():
        return int(value)
    seen = {e.node for e in results.values()} | {s.get("node") for s in states.values()}
    seen.discard(None)
    return len(seen) or None


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


def diagnose_ranks(script: str, ended: dict[int, Ended | tuple], world: int, *, codes: dict[int, int] | None = None,
                   select=None, ignore=None, states: dict[int, dict] | None = None,
                   nodes: int | None = None) -> tuple[Report, Trace]:
    """One report for a distributed run from what each rank sent (`Ended`: end time, result):
    the single-process rules on the lowest rank that reported (rank 0 normally), the distributed
    rules on every rank's facts. `states`: each rank's last known state (for the missing ones)."""
    from unstuck.api import diagnose_result
    codes, states = codes or {}, states or {}
    ended = {rank: _ended(e) for rank, e in ended.items()}
    results = {rank: e.result for rank, e in ended.items()}
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
    by_cause, also = _ranks_by_cause(results, lead, report, select, ignore)
    report.summary.update(processes=world, rank=lead, ranks_reported=sorted(results), ranks_by_cause=by_cause)
    if nodes is not None:
        report.summary["nodes"] = nodes
        if nodes > 1:
            report.notes.append(f"{world} processes on {nodes} nodes; rank {lead}'s findings are detailed, every "
                                f"rank's facts were compared.")
    report.notes += also
    if facts and not any(f.backend for f in facts):
        report.notes.append("No process initialized a process group (`torch.distributed.init_process_group`) "
                            "before its first optimizer step: the processes ran as independent copies of the script.")
    if trace.distributed.missing:
        missing = trace.distributed.missing
        report.summary["ranks_missing"] = {str(r): _last_known(states.get(r)) for r in missing}
        report.notes.append("No facts came back from rank(s) " + ", ".join(map(str, missing)) + ": they were "
                            "not compared. Last known: " + "; ".join(f"rank {r}: {_last_known(states.get(r))}"
                                                                     for r in missing) + ".")
    return report, trace


def _last_known(state: dict | None) -> str:
    if not state:
        return "never heard from"
    where = f"node {state.get('node')}, {state.get('host')}, pid {state.get('pid')}"
    if state.get("ended"):
        return (f"its script ended with status {state.get('status') or 0} after {state.get('steps')} step(s) "
                f"but its facts did not arrive ({where})")
    return f"started its script, then nothing: killed or still running when rank 0 stopped waiting ({where})"


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


def _ranks_by_cause(results: dict[int, ScriptResult], lead, report: Report, select,
                    ignore) -> tuple[dict[str, list[int]], list[str]]:
    """Which ranks showed each finding (cause -> ranks): the cross-process findings are every
    reporting rank's; a single-process cause is each rank's whose own facts show it. Also notes
    for causes that other ranks show and the reported rank does not (a rank-dependent bug)."""
    from unstuck.diagnose import diagnose
    compared = sorted(r for r, res in results.items()
                      if res.trace.distributed is not None and res.trace.distributed.ranks)
    by_cause: dict[str, list[int]] = {}
    for f in report.diagnosis:
        by_cause[f.cause] = list(compared) if f.cause.startswith("distributed-") else [lead]
    notes = []
    for rank, r in sorted(results.items()):
        if rank == lead:
            continue
        alone = Trace(**{**vars(r.trace), "distributed": None})
        found = {f.cause for f in diagnose(alone, select_=select, ignore=ignore).findings
                 if f.severity is not Severity.INFO}
        for cause in sorted(found):
            by_cause.setdefault(cause, []).append(rank)
        extra = found - {f.cause for f in report.diagnosis}
        if extra:
            notes.append(f"Rank {rank} also shows: {', '.join(sorted(extra))} (only rank {lead}'s findings are "
                         f"detailed here).")
    return by_cause, notes
