"""Overhead of observation: step time with and without `unstuck run`'s observers.

Measured in one process on an MLP and a small CNN, alternating blocks of plain training,
training under a fresh default session (a whole run as `unstuck run` sees it: warm-up
ticks watched in detail, then sparser sampling), and training under a session that never
samples (the always-on cost every step pays). Each block's median step time is compared
with the plain block just before it, and the median of those ratios is reported, so that
drift on a busy machine hits both sides alike. The target: a median step-time ratio of at
most 1.05 at the default profile. The mean ratio includes the sampled steps.

    python benchmarks/overhead.py [--profile default] [--steps 600] [--rounds 5] [--threads 1] [--steplog]

With `--steplog` the watched sessions also run the step log (`unstuck run`'s default: one row
per step, losses read in batches), in memory.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from unstuck.observe.sampling import PROFILES, Sampling
from unstuck.observe.session import Session

NEVER = Sampling(warmup=0, early_every=10**9, early_until=0, every=10**9)


def mlp():
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = torch.randn(128, 64), torch.randint(0, 10, (128,))
    return model, x, y


def cnn():
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(32, 10))
    x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    return model, x, y


def run_block(model, opt, x, y, steps: int) -> list[float]:
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return times


STEPLOG = False  # --steplog: watch with the step log too


def watched_block(model, opt, x, y, steps: int, sampling: Sampling) -> list[float]:
    observers = []
    if STEPLOG:
        from unstuck.logbook.steplog import StepLog
        observers.append(StepLog())
    session = Session("benchmark", sampling=sampling, observers=observers)
    session.start()
    try:
        return run_block(model, opt, x, y, steps)
    finally:
        session.stop()


def measure(factory, steps: int, sampling: Sampling, rounds: int) -> dict[str, float]:
    torch.manual_seed(0)
    model, x, y = factory()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    run_block(model, opt, x, y, 20)  # warm up
    median_ratios, mean_ratios, always_on, plain_medians = [], [], [], []
    med = statistics.median
    for _ in range(rounds):
        plain = run_block(model, opt, x, y, steps)
        watched = watched_block(model, opt, x, y, steps, sampling)
        plain2 = run_block(model, opt, x, y, steps)
        cheap = watched_block(model, opt, x, y, steps, NEVER)
        median_ratios.append(med(watched) / med(plain))
        mean_ratios.append(statistics.fmean(watched) / statistics.fmean(plain))
        always_on.append(med(cheap) / med(plain2))
        plain_medians.append(med(plain))
    return {"median": med(median_ratios), "mean": med(mean_ratios), "always_on": med(always_on),
            "step_ms": med(plain_medians) * 1e3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default", choices=sorted(PROFILES))
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (one: far less noise on small machines)")
    ap.add_argument("--steplog", action="store_true", help="watch with the step log as well")
    args = ap.parse_args()
    global STEPLOG
    STEPLOG = args.steplog
    torch.set_num_threads(args.threads)
    for name, factory in (("mlp", mlp), ("cnn", cnn)):
        r = measure(factory, args.steps, PROFILES[args.profile], args.rounds)
        print(f"{name}: median step-time ratio {r['median']:.3f}, mean ratio {r['mean']:.3f}, always-on only "
              f"{r['always_on']:.3f} (profile {args.profile}{', with step log' if STEPLOG else ''}, {args.rounds} rounds x {args.steps} steps, "
              f"plain step {r['step_ms']:.2f} ms)")


if __name__ == "__main__":
    main()
