"""Per-step cost of the step log (what `unstuck run` adds to every step by default).

Interleaved blocks of plain training, an always-on session that never samples, and the
same session with the step log; the fastest block median of each kind (the least disturbed
by other load on the machine) is compared, on a tiny model so that microseconds show.

    python benchmarks/steplog.py [--rounds 30] [--steps 500] [--mlp]
"""
from __future__ import annotations

import argparse
import statistics

import torch
from torch import nn

from overhead import NEVER, mlp, run_block
from unstuck.logbook.steplog import StepLog
from unstuck.observe.session import Session


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--mlp", action="store_true", help="the overhead benchmark's MLP instead of a tiny linear model")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model, x, y = mlp() if args.mlp else (nn.Linear(4, 2), torch.randn(8, 4), torch.randint(0, 2, (8,)))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    run_block(model, opt, x, y, 50)

    def watched(observers) -> float:
        session = Session("benchmark", sampling=NEVER, observers=observers)
        session.start()
        try:
            return statistics.median(run_block(model, opt, x, y, args.steps))
        finally:
            session.stop()

    plain, session, logged = [], [], []
    for _ in range(args.rounds):
        plain.append(statistics.median(run_block(model, opt, x, y, args.steps)))
        session.append(watched([]))
        logged.append(watched([StepLog()]))
    p, s, s_log = min(plain), min(session), min(logged)
    print(f"{'mlp' if args.mlp else 'tiny'} step: plain {p * 1e3:.3f} ms, always-on session {s * 1e3:.3f} ms, "
          f"with the step log {s_log * 1e3:.3f} ms: the step log adds {(s_log - s) * 1e6:.1f} us per step "
          f"({(s_log - s) / p * 100:.1f}% of this plain step)")


if __name__ == "__main__":
    main()
