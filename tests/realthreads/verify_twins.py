"""Run every buggy case of this folder and its fixed twin (twins.json: text replacements that
fix the bug) under plain `python`, and print a table of their final metrics.

    python tests/realthreads/verify_twins.py [--only NAME]

Each script prints `FINAL <metric> <value>` last; for `acc`/`top1` higher is better, for
every other metric lower is better. The table in README.md is this script's output."""
import argparse
import contextlib
import io
import json
import os
import runpy
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
HIGHER_IS_BETTER = {"acc", "top1", "val_acc"}


def final(path: str) -> tuple[str, float]:
    """Run a script in this process as `python script` would (runpy), and read its FINAL line;
    one interpreter for all scripts saves the torch import each would pay."""
    out = io.StringIO()
    argv, cwd = sys.argv, os.getcwd()
    sys.argv, sys.path[:0] = [path], [HERE]
    os.chdir(HERE)
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = argv
        sys.path.remove(HERE)
        os.chdir(cwd)
        for name in ():  # no case here imports a helper module
            sys.modules.pop(name, None)
    line = next((ln for ln in reversed(out.getvalue().splitlines()) if ln.startswith("FINAL ")), None)
    if line is None:
        raise RuntimeError(f"{path}: no FINAL line")
    _, metric, value = line.split()
    return metric, float(value)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="only scripts whose name contains this")
    ap.add_argument("--skip", nargs="*", default=[], help="scripts to leave out")
    args = ap.parse_args()
    with open(os.path.join(HERE, "twins.json")) as f:
        twins = json.load(f)
    print("| case | metric | buggy | fixed |\n| --- | --- | --- | --- |")
    for script, edits in sorted(twins.items()):
        if (args.only and args.only not in script) or script in args.skip:
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
        if bad != bad:  # NaN: the buggy run broke down
            better = good == good
        else:
            better = good > bad if metric in HIGHER_IS_BETTER else good < bad
        print(f"| {script} | {metric} | {bad:.4g} | {good:.4g} |{'' if better else ' NOT WORSE'}")


if __name__ == "__main__":
    main()
