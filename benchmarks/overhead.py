"""Overhead of observation, as a user waits for it: the whole training loop.

Each round runs the same training loop in two fresh processes, one plain (`python`) and one
under `unstuck run` (default profile unless --profile), with one torch thread. By default the
two run at once on one CPU and take turns, TURN_STEPS steps at a time (`run_lockstep`): a
slow spell of the machine (other load, a virtual machine's neighbours) then slows both alike.
Run one after the other (--sequential), rounds on a shared 2-core machine differed by up to
10%, far more than what is measured. What is left is each process's own luck of memory
layout, about 1-2% either way, hence several rounds and their median.
Reported per model (an MLP, a small CNN and a small transformer):

- loop ratio: the median over rounds of watched / plain time of the *whole* loop, every step
  included, the watched (sampled) ones too. This is what a user waits for; target <= 1.03.
- CPU-time ratio: the same for the process's CPU time over the loop (all its threads).
- step ratio: the median over rounds of the ratio of median step times. Sampled steps are
  the slow ones and the median hides them, so this is the cost of an ordinary step only.

Then the memory a 100,000-step run adds: the growth of resident memory over the loop, watched
minus plain (target <= 5 MB), so that what grows per step shows and the fixed cost of the
tool's modules does not; and the part of it after the first 200 steps, which is what grows
with the length of the run (the rest is paid once).

    python benchmarks/overhead.py [--steps 600] [--rounds 5] [--profile default] [--memory-steps 100000]
                                  [--run-args "--no-log"] [--sequential]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    model = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    return model, torch.randn(256, 512), torch.randint(0, 10, (256,))


def cnn():
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(32, 10))
    return model, torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))


class TinyTransformer(nn.Module):
    def __init__(self, vocab: int = 100, dim: int = 64, seq: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(seq, dim))
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=128, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, 10)

    def forward(self, tokens):
        return self.head(self.encoder(self.embed(tokens) + self.pos).mean(1))


def transformer():
    return TinyTransformer(), torch.randint(0, 100, (32, 32)), torch.randint(0, 10, (32,))


def tiny():
    return nn.Linear(8, 1), torch.randn(16, 8), torch.randn(16, 1)


MODELS = {"mlp": mlp, "cnn": cnn, "transformer": transformer}


def rss_kb() -> int:
    """Resident memory now (Linux), else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(name: str, steps: int) -> dict:
    """The training loop itself (run as a script, plain or under `unstuck run`)."""
    torch.manual_seed(0)
    factory = tiny if name == "tiny" else MODELS[name]
    model, x, y = factory()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = F.mse_loss if name == "tiny" else F.cross_entropy
    timed = name != "tiny"  # the memory run keeps no per-step list of its own
    rss_before, rss_warm = rss_kb(), None
    times = []
    turn = os.environ.get("OVERHEAD_LOCKSTEP")  # "read fd,write fd": take turns with the other process
    wait, done, first = map(int, turn.split(",")) if turn else (None, None, None)
    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(steps):
        if i == WARM_STEPS:
            rss_warm = rss_kb()
        if turn and i % TURN_STEPS == 0 and not os.read(wait, 1):
            sys.exit("overhead.py: the other process of the lockstep ended early")
        t = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        if timed:
            times.append(time.perf_counter() - t)
        if turn and (i % TURN_STEPS == TURN_STEPS - 1 or i == steps - 1):
            os.write(done, b".")
    loop, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if turn and first:  # wait for the other's last turn: exiting would slow it down
        os.read(wait, 1)
    if turn:  # the loop is the sum of the steps: the time spent waiting for the other process is not ours
        loop = sum(times)
    rss_after = rss_kb()
    return {"loop": loop, "cpu": cpu, "median_step": statistics.median(times) if times else None,
            "growth_kb": rss_after - rss_before, "late_growth_kb": rss_after - (rss_warm or rss_before)}


TURN_STEPS = 20  # steps each process takes per turn in lockstep (see run_lockstep)
WARM_STEPS = 200  # the memory run's growth is also reported from this step on (what grows with the run)
FIXED_MALLOC = True  # --dynamic-malloc turns it off
RUN_ARGS: list[str] = []  # --run-args: extra options of `unstuck run` (e.g. --no-log)


def child_command(name: str, steps: int, watched: bool, profile: str) -> tuple[list[str], dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if FIXED_MALLOC:
        # glibc raises its mmap threshold after the first large free, so a process that freed
        # one big buffer early (ours: a parameter copy) then serves every activation from its
        # heap without page faults, and runs its *plain* steps 5-8% faster than a fresh
        # process that did not. A fixed threshold gives both processes the same allocator.
        env["MALLOC_MMAP_THRESHOLD_"] = str(128 * 1024)
    here = os.path.abspath(__file__)
    args = ["--child", name, "--steps", str(steps)]
    cmd = ([sys.executable, "-m", "unstuck", "run", "--quiet", "--profile", profile, *RUN_ARGS, here, *args]
           if watched else [sys.executable, here, *args])
    return cmd, env


def run_child(name: str, steps: int, watched: bool, profile: str) -> dict:
    cmd, env = child_command(name, steps, watched, profile)
    with tempfile.TemporaryDirectory() as folder:  # the run folder (step log) lands here
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, cwd=folder).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_lockstep(name: str, steps: int, profile: str, plain_first: bool = True) -> tuple[dict, dict]:
    """The plain and the watched loop at once, taking turns step by step (a token passed through
    two pipes, both processes on one CPU): whatever slows the machine down for a while (other
    load, a host's neighbours, frequency changes) slows the two alike, where the rounds of
    sequential runs differ by several percent. Each loop time is the sum of its own steps.
    Which process takes the first turn alternates with the rounds."""
    to_watched, to_plain = os.pipe(), os.pipe()
    cpu = {min(os.sched_getaffinity(0))} if hasattr(os, "sched_getaffinity") else None
    procs = []
    with tempfile.TemporaryDirectory() as folder:
        for watched, (wait, done) in ((False, (to_plain[0], to_watched[1])), (True, (to_watched[0], to_plain[1]))):
            cmd, env = child_command(name, steps, watched, profile)
            env["OVERHEAD_LOCKSTEP"] = f"{wait},{done},{int(watched != plain_first)}"
            procs.append(subprocess.Popen(
                cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=folder, pass_fds=(wait, done),
                preexec_fn=(lambda: os.sched_setaffinity(0, cpu)) if cpu else None))
        os.write(to_plain[1] if plain_first else to_watched[1], b".")  # the first turn
        for fd in (*to_watched, *to_plain):  # the children hold their ends: one that dies ends the other's wait
            os.close(fd)
        outs = [p.communicate()[0] for p in procs]
        if any(p.returncode for p in procs):
            raise RuntimeError(f"a benchmark process failed: {[p.returncode for p in procs]}")
    plain, watched = (json.loads(out.strip().splitlines()[-1]) for out in outs)
    return plain, watched


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default", choices=["economy", "default", "full"])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--memory-steps", type=int, default=100_000, help="steps of the memory run (0: skip)")
    ap.add_argument("--run-args", default="", help="extra options of `unstuck run`, e.g. \"--no-log\" to leave "
                    "out the step log (on by default, so measured by default)")
    ap.add_argument("--dynamic-malloc", action="store_true", help="leave glibc's dynamic mmap threshold on "
                    "(by default both processes get a fixed one, see run_child)")
    ap.add_argument("--sequential", action="store_true", help="run the plain and the watched loop one after "
                    "the other (by default they take turns step by step, see run_lockstep)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    RUN_ARGS[:] = args.run_args.split()
    global FIXED_MALLOC
    FIXED_MALLOC = not args.dynamic_malloc
    if args.child:
        torch.set_num_threads(1)
        print(json.dumps(child(args.child, args.steps)))
        return
    names = [name for name in args.models.split(",") if name]
    if unknown := [name for name in names if name not in MODELS]:
        ap.error(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(MODELS)}")
    for name in names:
        loop_ratios, cpu_ratios, step_ratios, plain_loops = [], [], [], []
        for r in range(args.rounds):
            if not args.sequential:
                plain, watched = run_lockstep(name, args.steps, args.profile, plain_first=r % 2 == 0)
            elif r % 2:  # alternate which goes first: neither always gets the warmer machine
                watched = run_child(name, args.steps, True, args.profile)
                plain = run_child(name, args.steps, False, args.profile)
            else:
                plain = run_child(name, args.steps, False, args.profile)
                watched = run_child(name, args.steps, True, args.profile)
            loop_ratios.append(watched["loop"] / plain["loop"])
            cpu_ratios.append(watched["cpu"] / plain["cpu"])
            step_ratios.append(watched["median_step"] / plain["median_step"])
            plain_loops.append(plain["loop"])
        med = statistics.median
        print(f"{name}: whole-loop ratio {med(loop_ratios):.3f} (rounds {min(loop_ratios):.3f}-"
              f"{max(loop_ratios):.3f}), CPU-time ratio {med(cpu_ratios):.3f} (rounds {min(cpu_ratios):.3f}-"
              f"{max(cpu_ratios):.3f}), median step ratio {med(step_ratios):.3f}; plain loop "
              f"{med(plain_loops):.2f} s for {args.steps} steps (profile {args.profile}, {args.rounds} rounds, "
              f"1 torch thread)", flush=True)
    if args.memory_steps:
        plain = run_child("tiny", args.memory_steps, False, args.profile)
        watched = run_child("tiny", args.memory_steps, True, args.profile)
        extra = (watched["growth_kb"] - plain["growth_kb"]) / 1024
        late = (watched["late_growth_kb"] - plain["late_growth_kb"]) / 1024
        print(f"memory: a {args.memory_steps}-step run grows resident memory by {watched['growth_kb'] / 1024:.1f} MB "
              f"watched, {plain['growth_kb'] / 1024:.1f} MB plain: {extra:+.1f} MB from observation, of which "
              f"{late:+.1f} MB after step {WARM_STEPS} (the rest is one-off: the first watched steps, the input "
              f"probe, lazy imports); loop {plain['loop']:.1f} s plain, {watched['loop']:.1f} s watched", flush=True)


if __name__ == "__main__":
    main()
