"""Two nodes on one machine: two torchrun launches side by side (c10d rendezvous on loopback,
gloo), each `python -m unstuck run`; every rank's facts reach rank 0 through the launch's own
store, and one report covers the 4 processes.

    torchrun --nnodes 2 --node-rank {0,1} --nproc-per-node 2 --rdzv-backend c10d \\
             --rdzv-endpoint 127.0.0.1:PORT --rdzv-id ID --local-addr 127.0.0.1 \\
             -m unstuck run --json outN.json SCRIPT

With c10d the rank-0 node is whichever agent the rendezvous made it (--node-rank is only used
by the static backend), so the one report is looked for in both launches' outputs.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

CASES = Path("/work/shared/devcases/distributed")
if not CASES.is_dir():  # the cases live beside the repository
    CASES = Path(__file__).resolve().parents[3] / "shared" / "devcases" / "distributed"
LAUNCH_TIMEOUT = 50  # seconds for both launches together; each test stays under a minute

# slow: each test launches two torchrun agents and four watched processes
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="torchrun with gloo on loopback")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_nodes(tmp_path: Path, script: Path, *unstuck_options: str, env: dict | None = None) -> tuple[dict, list]:
    """Launch `script` on 2 "nodes" of 2 processes each; return the one JSON report and both
    launches' (returncode, stderr)."""
    port, rdzv_id = _free_port(), uuid.uuid4().hex[:8]
    procs = []
    for node in (0, 1):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--node-rank", str(node),
               "--nproc-per-node", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}",
               "--rdzv-id", rdzv_id, "--local-addr", "127.0.0.1", "--rdzv-conf", "join_timeout=30",
               "-m", "unstuck", "run", "--fail-on", "never", "--log-dir", str(tmp_path / "runs"),
               "--json", str(tmp_path / f"out{node}.json"), *unstuck_options, str(script)]
        procs.append(subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env={**os.environ, "GLOO_SOCKET_IFNAME": "lo", **(env or {})},
                                      start_new_session=True))
    outs = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=LAUNCH_TIMEOUT)
        except subprocess.TimeoutExpired:
            for q in procs:  # the launches we started, and their workers (own sessions)
                if q.poll() is None:
                    os.killpg(q.pid, signal.SIGKILL)
            _, err = p.communicate()
            pytest.fail(f"the two-node launch did not end within {LAUNCH_TIMEOUT} s:\n{err[-3000:]}")
        outs.append((p.returncode, err))
    reports = [json.loads(path.read_text()) for path in sorted(tmp_path.glob("out*.json"))]
    assert len(reports) == 1, [e[-2000:] for _, e in outs]  # rank 0 only reports
    assert sum(err.count("unstuck report") for _, err in outs) == 1
    return reports[0], outs


def _causes(report: dict) -> list[str]:
    return [f["cause"] for f in report["findings"] if f["severity"] != "info"]


def test_same_shuffle_on_every_rank_of_two_nodes(tmp_path):
    report, outs = two_nodes(tmp_path, CASES / "same_shuffle_every_rank.py")
    assert all(code == 0 for code, _ in outs)
    s = report["summary"]
    assert s["processes"] == 4 and s["nodes"] == 2 and s["ranks_reported"] == [0, 1, 2, 3]
    assert _causes(report) == ["distributed-duplicate-data"]
    assert s["ranks_by_cause"]["distributed-duplicate-data"] == [0, 1, 2, 3]
    run = next((tmp_path / "runs").iterdir())  # rank 0's run folder: its step log, the others' thinned
    assert (run / "steps.jsonl").is_file()
    assert sorted(p.name for p in (run / "ranks").iterdir()) == [f"rank-{r}.steps.jsonl" for r in (1, 2, 3)]


def test_replicas_that_drift_apart_across_nodes(tmp_path):
    report, _ = two_nodes(tmp_path, CASES / "manual_shard_no_ddp.py", "--no-log")
    assert report["summary"]["processes"] == 4 and report["summary"]["nodes"] == 2
    assert _causes(report) == ["distributed-desync"]


def test_healthy_ddp_on_two_nodes_is_silent(tmp_path):
    report, outs = two_nodes(tmp_path, CASES / "ok_manual_shard_ddp.py", "--no-log")
    assert all(code == 0 for code, _ in outs)
    assert report["summary"]["processes"] == 4 and report["summary"]["ranks_reported"] == [0, 1, 2, 3]
    assert _causes(report) == [] and not report.get("tool_errors")


def test_a_killed_rank_is_missing_with_its_last_known_state(tmp_path):
    """Rank 1 dies of SIGKILL after training (nothing sent); rank 0 still reports, within its
    bounded wait, naming rank 1 as missing with what it last knew of it."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import os, signal, time
        import torch, torch.nn as nn, torch.nn.functional as F
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        dist.init_process_group("gloo")
        torch.manual_seed(0)
        model = DDP(nn.Linear(4, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        g = torch.Generator().manual_seed(dist.get_rank())
        for _ in range(20):
            x = torch.randn(16, 4, generator=g)
            opt.zero_grad(); F.mse_loss(model(x), x[:, :1]).backward(); opt.step()
        dist.destroy_process_group()
        if int(os.environ["RANK"]) == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(2)
    """))
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                        "-m", "unstuck", "run", "--no-log", "--fail-on", "never", "--json", "out.json", str(script)],
                       cwd=tmp_path, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT)
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["summary"]["processes"] == 2 and report["summary"]["ranks_reported"] == [0]
    assert "started its script" in report["summary"]["ranks_missing"]["1"]
    assert any("No facts came back from rank(s) 1" in n for n in report["notes"]), r.stderr[-2000:]
