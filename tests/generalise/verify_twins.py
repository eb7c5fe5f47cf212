"""Run every buggy case of this folder and its fixed twin (twins.json: text replacements that
fix the bug) under plain `python`, and print a table of their final metrics.

    python tests/generalise/verify_twins.py [--only NAME]

Each script prints `FINAL <metric> <value>` last; for `acc`/`top1` higher is better, for
every other metric lower is better. The table in README.md is this script's output."""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HIGHER_IS_BETTER = {"acc", "top1", "val_acc"}


def final(path: str) -> tuple[str, float]:
    out = subprocess.run([sys.executable, os.path.basename(path)], cwd=HERE, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONHASHSEED": "0"})
    line = next((ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("FINAL ")), None)
    if line is None:
        raise RuntimeError(f"{path}: no FINAL line\n{out.stdout[-500:]}{out.stderr[-1500:]}")
    _, metric, value = line.split()
    return metric, float(value)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    args = ap.parse_args()
    with open(os.path.join(HERE, "twins.json")) as f:
        twins = json.load(f)
    print("| case | metric | buggy | fixed |\n| --- | --- | --- | --- |")
    for script, edits in sorted(twins.items()):
        if args.only and args.only not in script:
            continue
        with open(os.path.join(HERE, script)) as f:
            code = f.read()
        for old, new in edits:
            if old not in code:
                raise SystemExit(f"{script}: {old!r} not found")
            code = code.replace(old, new)
        fixed = os.path.join(HERE, f"_fixed_{script}")
        with open(fixed, "w") as f:
            f.write(code)
        try:
            metric, bad = final(os.path.join(HERE, script))
            _, good = final(fixed)
        finally:
            os.remove(fixed)
        better = good > bad if metric in HIGHER_IS_BETTER else good < bad
        print(f"| {script} | {metric} | {bad:.4g} | {good:.4g} |{'' if better else ' NOT WORSE'}")


if __name__ == "__main__":
    main()
