"""Overhead of always-on observation: step time with and without `unstuck run`'s observers.

Measured in one process, alternating blocks of plain and observed training so that
machine noise hits both alike. Reports the median step-time ratio (the target:
<= 1.05 at the default profile) and the mean ratio, which includes the sampled
steps that are watched in detail.

    python benchmarks/overhead.py [--profile default] [--steps 600]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from unstuck.observe.sampling import PROFILES
from unstuck.observe.session import Session


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


def measure(factory, steps: int, profile: str, rounds: int = 4) -> tuple[float, float, float]:
    """Each round trains `steps` steps plainly, then `steps` steps under a fresh session
    (so the session sees a whole run: its warm-up ticks, then sparser sampling)."""
    torch.manual_seed(0)
    model, x, y = factory()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    run_block(model, opt, x, y, 20)  # warm up
    plain, watched = [], []
    for _ in range(rounds):
        plain += run_block(model, opt, x, y, steps)
        session = Session("benchmark", sampling=PROFILES[profile])
        session.start()
        try:
            watched += run_block(model, opt, x, y, steps)
        finally:
            session.stop()
    return (statistics.median(watched) / statistics.median(plain),
            statistics.fmean(watched) / statistics.fmean(plain), statistics.median(plain))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default", choices=sorted(PROFILES))
    ap.add_argument("--steps", type=int, default=400)
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    for name, factory in (("mlp", mlp), ("cnn", cnn)):
        median_ratio, mean_ratio, step = measure(factory, args.steps, args.profile)
        print(f"{name}: median step-time ratio {median_ratio:.3f}, mean ratio {mean_ratio:.3f} "
              f"(profile {args.profile}, 4 x {args.steps} steps, plain step {step * 1e3:.2f} ms)")


if __name__ == "__main__":
    main()
