"""What one training step costs under observation, by part, in microseconds.

The whole-loop benchmark (`overhead.py`) tells what a user waits for, but on a busy machine
its ratios drift by several percent. This one takes the loop apart, in one process, with
interleaved blocks of steps of each kind, and keeps each kind's fastest block median (the
least disturbed by other load):

- plain: no observation;
- always-on: the session installed, no step watched in detail (what an ordinary step pays);
- + step log: the same with the step log (on by default in `unstuck run`);
- watched: every step watched in detail (what a sampled step pays).

From them, the whole-loop ratio the default sampling gives a loop of `--steps` steps:
(steps * always-on + watched-steps * (watched - always-on)) / (steps * plain), the one-off
input probe left out (`overhead.py` includes it).

    python benchmarks/stepcost.py [--models mlp,cnn,transformer,tiny] [--rounds 7] [--block 40]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from overhead import MODELS, tiny
from unstuck.logbook.steplog import StepLog
from unstuck.observe.sampling import PROFILES, Sampling
from unstuck.observe.session import Session

NEVER = Sampling(warmup=0, early_every=10**9, early_until=0, every=10**9, thin_after=0)
ALWAYS = PROFILES["full"]


def block(step, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(name: str, rounds: int, n: int) -> dict[str, float]:
    torch.manual_seed(0)
    model, x, y = (tiny if name == "tiny" else MODELS[name])()
    loss_fn = F.mse_loss if name == "tiny" else F.cross_entropy
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    kinds = {"plain": None, "always-on": (NEVER, False), "+ step log": (NEVER, True), "watched": (ALWAYS, False)}
    best: dict[str, float] = {k: float("inf") for k in kinds}
    for _ in range(rounds):
        for kind, setup in kinds.items():
            session = None
            if setup is not None:
                sampling, with_log = setup
                session = Session(f"<{name}>", sampling=sampling, probes=False,
                                  observers=[StepLog()] if with_log else [])
                session.start()
            try:
                block(step, 3)  # settle
                best[kind] = min(best[kind], block(step, n))
            finally:
                if session is not None:
                    session.stop()
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tiny,mlp,cnn,transformer")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--block", type=int, default=40, help="steps per block")
    ap.add_argument("--steps", type=int, default=600, help="loop length for the whole-loop estimate")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sampling = PROFILES["default"]
    watched = sum(sampling.sampled(t) for t in range(args.steps))
    for name in args.models.split(","):
        b = measure(name, args.rounds, args.block)
        plain, on, log, full = b["plain"], b["always-on"], b["+ step log"], b["watched"]
        loop = (args.steps * log + watched * (full - on)) / (args.steps * plain)
        print(f"{name}: plain {plain * 1e6:.0f} us; always-on +{(on - plain) * 1e6:.0f} us, step log "
              f"+{(log - on) * 1e6:.0f} us; a watched step {full / plain:.2f}x plain. Estimated whole-loop "
              f"ratio for {args.steps} steps ({watched} watched at the default profile, no stretch): {loop:.3f}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
