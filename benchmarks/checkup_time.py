"""How long the default checkup of a 10,000-row, 20-column table takes (target: <= 60 s on
2 CPU cores).

    python benchmarks/checkup_time.py [--rounds 3] [--rows 10000] [--cols 20]

Writes a regression table (a non-linear function of the first 5 columns plus noise) and a
classification twin, runs `unstuck checkup TABLE --target y` on each as a user would (a
fresh process, default options: --budget 60), and prints the wall-clock seconds per run and
the experiments' own timings from the JSON report.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def table(path: str, rows: int, cols: int, classification: bool, seed: int = 0) -> None:
    import pandas as pd
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols))
    y = np.sin(x[:, 0] * 2) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] - x[:, 4] ** 2 + 0.3 * rng.standard_normal(rows)
    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(cols)])
    df["y"] = np.where(y > np.median(y), "high", "low") if classification else y
    df.to_csv(path, index=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--cols", type=int, default=20)
    args = ap.parse_args()
    unstuck = [sys.executable, "-m", "unstuck"]
    print(f"cpu cores: {os.cpu_count()}; table {args.rows} x {args.cols}")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("regression", "classification"):
            path = os.path.join(tmp, f"{kind}.csv")
            table(path, args.rows, args.cols, kind == "classification")
            for r in range(args.rounds):
                out = os.path.join(tmp, "r.json")
                start = time.monotonic()
                proc = subprocess.run([*unstuck, "checkup", "--quiet", "--json", out, path, "--target", "y"],
                                      capture_output=True, text=True)
                wall = time.monotonic() - start
                worst = max(worst, wall)
                ck = json.load(open(out))["checkup"]
                timings = ", ".join(f"{k} {v:.1f}" for k, v in ck.get("timings", {}).items())
                print(f"{kind} round {r + 1}: {wall:.1f} s wall (exit {proc.returncode}); verdict "
                      f"{ck['verdict']['kind']}; experiments {ck['seconds']:.1f} s ({timings}); "
                      f"skipped: {ck.get('skipped', {})}")
    print(f"worst: {worst:.1f} s (target <= 60 s)")
    return 0 if worst <= 60 else 1


if __name__ == "__main__":
    sys.exit(main())
