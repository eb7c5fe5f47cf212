"""Launching, gathering and judging the processes of a distributed run."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from unstuck.cli import main
from unstuck.integrations.distributed import SIGTERM_STATUS, diagnose_ranks, launcher_env, mode
from unstuck.runner import ScriptResult
from unstuck.trace import DistributedRun, RankFacts, StepRecord, Trace

DUPLICATED = """
import torch, torch.distributed as dist, torch.nn as nn, torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
dist.init_process_group("gloo")
torch.manual_seed(0)
X = torch.randn(128, 4); y = X[:, :1]
model = DDP(nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for xb, yb in DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True):
    opt.zero_grad()
    F.mse_loss(model(xb), yb).backward()
    opt.step()
dist.destroy_process_group()
"""


def _write(tmp_path, code: str) -> str:
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(code))
    return str(path)


def test_launcher_env_and_mode():
    assert launcher_env({}) is None and mode({}) is None
    env = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"}
    assert launcher_env(env) == (1, 2, 1)
    assert mode(env) == "torchrun" and mode({**env, "UNSTUCK_DIST_DIR": "/tmp/x"}) == "worker"


def test_a_failing_rank_fails_the_run_and_is_named(tmp_path, capsys):
    """Rank 1 raises; rank 0's barrier then fails too (or the launcher stops it): the run's
    status and error are rank 1's own, and the one report says how many processes ran."""
    script = _write(tmp_path, """
        import torch, torch.distributed as dist
        dist.init_process_group("gloo")
        if dist.get_rank() == 1:
            raise ValueError("boom on rank 1")
        dist.barrier()
    """)
    out = tmp_path / "r.json"
    status = main(["run", "--no-log", "--nproc-per-node", "2", "--json", str(out), script])
    report = json.loads(out.read_text())
    assert status == 1 and report["script_status"] == 1
    assert report["script_error"].startswith("rank 1: ValueError: boom on rank 1")
    assert report["summary"]["processes"] == 2
    err = capsys.readouterr().err
    assert err.count("unstuck report") == 1 and "2 processes ran" in err
    assert "ValueError: boom on rank 1" in err  # the rank's own traceback, as under torchrun


@pytest.mark.slow
def test_under_an_outside_torchrun_rank_0_reports_for_all(tmp_path):
    script = _write(tmp_path, DUPLICATED)
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                        "-m", "unstuck", "run", "--no-log", "--fail-on", "never", "--json", "out.json", script],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("unstuck report") == 1
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["summary"]["processes"] == 2
    assert [f["cause"] for f in report["findings"]] == ["distributed-duplicate-data"]


@pytest.mark.parametrize("argv, message", [
    (["run", "--nproc-per-node", "0"], "at least 1"),
    (["run", "--nproc-per-node", "2", "--no-log", "--checkpoint-every", "5"], "--checkpoint-every"),
    (["checkup", "--nproc-per-node", "2"], "checkup re-trains copies"),
])
def test_usage_errors(tmp_path, capsys, argv, message):
    script = _write(tmp_path, "import torch\n")
    assert main([*argv, script]) == 2
    assert message in capsys.readouterr().err


def test_nproc_inside_a_launched_process_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["run", "--nproc-per-node", "2", _write(tmp_path, "import torch\n")]) == 2
    assert "already runs under a distributed launcher" in capsys.readouterr().err
    assert main(["checkup", _write(tmp_path, "import torch\n")]) == 2


# ---------------------------------------------------------------- judging gathered results
def _result(rank: int, status=None, error=None, steps: int = 0) -> ScriptResult:
    trace = Trace(script="train.py", ticks=steps)
    trace.distributed = DistributedRun(world_size=3, ranks=[RankFacts(rank=rank, world_size=3)])
    for tick in range(steps):
        trace.steps.append(StepRecord(tick=tick, opt=0, site=None, elems=1, frozen_elems=0, trainable_matrices=0,
                                      no_grad_elems=0, backwards_since_step=1, checked_elems=1, stale_elems=1,
                                      unreached_elems=None, used_elems=None))
    trace.backward_calls = steps
    return ScriptResult(trace=trace, status=status, error=error, tool_errors=[])


def test_the_failure_shown_is_the_rank_that_failed_first():
    results = {0: (5.0, _result(0, 1, "RuntimeError: Connection closed by peer")),
               2: (4.0, _result(2, 3, "the script exited with status 3"))}
    report, trace = diagnose_ranks("train.py", results, 3, codes={0: 1, 1: SIGTERM_STATUS, 2: 3})
    assert report.script_status == 3 and report.script_error.startswith("rank 2:")
    assert trace.distributed.missing == (1,)
    assert any("rank(s) 1" in note for note in report.notes)
    assert report.summary["ranks_reported"] == [0, 2]
    assert any("independent copies" in note for note in report.notes)  # no rank saw a process group


def test_causes_seen_only_on_another_rank_are_noted():
    results = {0: (1.0, _result(0, steps=10)), 1: (1.0, _result(1, steps=10))}
    results[0][1].trace.steps = []  # rank 0 shows no stale gradients, rank 1 does
    report, _ = diagnose_ranks("train.py", results, 2)
    assert any(note.startswith("Rank 1 also shows: missing-zero-grad") for note in report.notes)


def test_rank_0_gathers_its_node_and_ignores_stale_files(tmp_path, monkeypatch):
    import time

    from unstuck.integrations import distributed
    env = {"RANK": "0", "WORLD_SIZE": "3", "LOCAL_WORLD_SIZE": "2"}
    folder = str(tmp_path / "meet")
    own = _result(0)
    for rank, result in ((0, own), (1, _result(1))):  # as run_rank writes them
        distributed.write_result(folder, rank, result)
    report, trace, _ = distributed.gather_and_diagnose(own, folder, started=time.time() - 60, environ=env)
    assert [f.rank for f in trace.distributed.ranks] == [0, 1] and trace.distributed.missing == (2,)
    assert any("on this node" in note for note in report.notes)
    assert not (tmp_path / "meet").exists()  # the files and the folder are gone
    distributed.write_result(folder, 1, _result(1))  # left over from an earlier launch
    monkeypatch.setattr(distributed, "GATHER_TIMEOUT", 0.3)
    _, trace, _ = distributed.gather_and_diagnose(_result(0), folder, started=time.time() + 60, environ=env)
    assert [f.rank for f in trace.distributed.ranks] == [0]


# ---------------------------------------------------------------- the launch's store
def _store_env(port: int, rank: int, world: int = 3) -> dict:
    return {"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_WORLD_SIZE": "1", "GROUP_RANK": str(rank),
            "GROUP_WORLD_SIZE": str(world), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
            "TORCHELASTIC_USE_AGENT_STORE": "True", "TORCHELASTIC_RUN_ID": "t", "TORCHELASTIC_RESTART_COUNT": "0"}


def test_ranks_meet_rank_0_in_the_launchs_store(monkeypatch):
    """As torchrun's agent hosts it: a TCPStore server; each rank is a client with keys of its
    own. Rank 2 announced itself and never sent: missing, with its last known state."""
    from datetime import timedelta

    from torch.distributed import TCPStore

    from unstuck.integrations import distributed
    server = TCPStore("127.0.0.1", 0, is_master=True, timeout=timedelta(seconds=10), wait_for_workers=False)
    env = {r: _store_env(server.port, r) for r in range(3)}
    channels = {r: distributed.channel(env[r]) for r in range(3)}
    assert all(isinstance(c, distributed.StoreChannel) for c in channels.values())
    for r in range(3):
        channels[r].announce(r, distributed.rank_state(r, env[r]))
    channels[1].send(1, distributed.Ended(1.0, _result(1), 1, "b", '{"unstuck_steplog": 1}\n'))
    own = distributed.Ended(2.0, _result(0), 0, "a")
    channels[0].send(0, own)
    report, trace, ended = distributed.gather_and_diagnose(own, channels[0], timeout=0.5, environ=env[0])
    assert sorted(ended) == [0, 1] and ended[1].steps.startswith('{"unstuck_steplog"')
    assert trace.distributed.missing == (2,)
    s = report.summary
    assert s["processes"] == 3 and s["nodes"] == 3 and s["ranks_reported"] == [0, 1]
    assert "started its script" in s["ranks_missing"]["2"] and "node 2" in s["ranks_missing"]["2"]
    assert not server.check(["unstuck/t/0/result/1"])  # read and deleted: the agents' store keeps nothing


def test_a_store_that_is_gone_is_a_note_not_a_failure():
    from unstuck.integrations import distributed
    port = _free_port()
    chan = distributed.StoreChannel("127.0.0.1", port, prefix="unstuck/x/", timeout=0.5)
    report, trace, ended = distributed.gather_and_diagnose(_result(0), chan, environ=_store_env(port, 0, 2))
    assert list(ended) == [0] and report.summary["processes"] == 2
    assert any("could not be gathered" in n for n in report.notes)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_nproc_run_folder_keeps_every_ranks_steps_and_rank_0s_checkpoints(tmp_path, capsys):
    script = _write(tmp_path, DUPLICATED)
    assert main(["run", "--quiet", "--fail-on", "never", "--log-dir", str(tmp_path / "runs"), "--nproc-per-node",
                 "2", "--checkpoint-every", "4", script]) == 0
    run = next((tmp_path / "runs").iterdir())
    assert len((run / "steps.jsonl").read_text().splitlines()) == 9  # header + 8 steps, rank 0 in full
    assert len((run / "ranks" / "rank-1.steps.jsonl").read_text().splitlines()) == 9
    saved = sorted(p.name for p in (run / "checkpoints").glob("*.pt"))  # by rank 0 only
    assert [name.split("-")[1] for name in saved] == ["step0000004", "step0000008"]
    report = json.loads((run / "report.json").read_text())
    assert report["summary"]["processes"] == 2 and report["summary"]["nodes"] == 1
    capsys.readouterr()
    assert main(["show", str(run)]) == 0
    assert "2 processes ran" in capsys.readouterr().out
