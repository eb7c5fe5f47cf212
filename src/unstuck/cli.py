"""Command line: `unstuck run|checkup|demo|explain|rules`."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from unstuck import __version__


def _diagnosing_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="PATH", help="write the machine report (JSON) to PATH")
    p.add_argument("--max-steps", type=int, metavar="N", help="stop the training after N optimizer steps and report")
    p.add_argument("--select", action="append", metavar="RULE", default=None,
                   help="only these rules: codes, code prefixes (GF) or cause slugs; repeatable or comma-separated")
    p.add_argument("--ignore", action="append", metavar="RULE", default=None, help="skip these rules (as --select)")
    p.add_argument("--profile", choices=["economy", "default", "full"], default="default",
                   help="how many training steps are watched in detail (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no terminal report (use with --json)")


def _checkup_options(p: argparse.ArgumentParser) -> None:
    _diagnosing_options(p)
    p.add_argument("--target", metavar="COLUMN", help="tables: the column to predict")
    p.add_argument("--budget", type=float, metavar="SECONDS", default=None,
                   help="time for all experiments together (default: 60)")
    p.add_argument("--fail-on", choices=["error", "warning", "never"], default="error",
                   help="which findings make the exit status 1 (default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unstuck", description="Tells you why your PyTorch network is not "
                                     "learning, and how to fix it.")
    parser.add_argument("--version", action="version", version=f"unstuck {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log the tool's own debugging messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a training script under observation and diagnose it",
                         description="Run SCRIPT exactly as `python SCRIPT ARGS...` would, watch its training, "
                         "and report why it is (not) learning. Options go before SCRIPT; everything after "
                         "SCRIPT is passed to it unchanged.")
    _diagnosing_options(run)
    run.add_argument("script", help="the training script")
    run.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    checkup = sub.add_parser(
        "checkup", help="run, then sanity experiments on copies of the model and data, and a verdict",
        description="Watch SCRIPT like `run` (its training stops after --max-steps, default 200), then re-train "
        "copies of the captured model on the captured samples: overfit a few samples, simple baselines, an "
        "input-independent baseline, a learning-rate range test and an optimizer comparison; conclude bug, data, "
        "capacity, optimisation or healthy. Or check a table: `unstuck checkup DATA.csv --target COLUMN`.")
    _checkup_options(checkup)
    checkup.add_argument("script", help="the training script, or a .csv/.parquet table")
    checkup.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    demo = sub.add_parser("demo", help="the bundled example: a broadcasting bug, diagnosed, then fixed")
    demo.add_argument("--json", metavar="PATH", help="write the buggy run's JSON report to PATH")
    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("key", help="rule code (GF001), code prefix (GF) or cause slug (detached-graph)")
    sub.add_parser("rules", help="list every rule")
    return parser


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v for item in values for v in item.split(",") if v]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="unstuck %(levelname)s %(name)s: %(message)s")
    if args.command == "run":
        return cmd_run(args, parser)
    if args.command == "checkup":
        return cmd_checkup(args)
    if args.command == "demo":
        from unstuck.demo import run_demo
        return run_demo(json_path=args.json)
    if args.command == "explain":
        return cmd_explain(args.key)
    if args.command == "rules":
        return cmd_rules()
    parser.print_help()
    return 2


def cmd_run(args, parser) -> int:
    from unstuck.rules import lookup
    for key in (_split(args.select) or []) + (_split(args.ignore) or []):
        if not lookup(key):
            print(f"unstuck: error: no rule matches {key!r} (see `unstuck rules`)", file=sys.stderr)
            return 2
    if not os.path.isfile(args.script):
        print(f"unstuck: error: no such script: {args.script}", file=sys.stderr)
        return 2
    if args.max_steps is not None and args.max_steps < 1:
        print("unstuck: error: --max-steps must be at least 1", file=sys.stderr)
        return 2
    from unstuck.api import diagnose_script
    from unstuck.report import emit
    report = diagnose_script(args.script, args.script_args, max_steps=args.max_steps, profile=args.profile,
                             select=_split(args.select), ignore=_split(args.ignore))
    emit(report, json_path=args.json, quiet=args.quiet)
    return report.exit_status()


def _usage_error(message: str) -> int:
    print(f"unstuck: error: {message}", file=sys.stderr)
    return 2


def cmd_checkup(args) -> int:
    from unstuck.checkup import DEFAULT_BUDGET, DEFAULT_MAX_STEPS, checkup_script, checkup_table
    from unstuck.checkup.tabular import TableError, is_table
    from unstuck.report import emit
    from unstuck.rules import lookup
    if is_table(args.script):  # a table takes no arguments: its options may follow the file
        p = argparse.ArgumentParser(prog="unstuck checkup DATA", add_help=False, exit_on_error=False)
        _checkup_options(p)
        try:
            more = p.parse_args(args.script_args)
        except (argparse.ArgumentError, SystemExit) as exc:
            return _usage_error(f"checkup {args.script}: {exc}")
        defaults = vars(p.parse_args([]))
        for key, value in vars(more).items():
            if value != defaults[key]:
                setattr(args, key, value)
    for key in (_split(args.select) or []) + (_split(args.ignore) or []):
        if not lookup(key):
            return _usage_error(f"no rule matches {key!r} (see `unstuck rules`)")
    if args.max_steps is not None and args.max_steps < 1:
        return _usage_error("--max-steps must be at least 1")
    if args.budget is not None and args.budget <= 0:
        return _usage_error("--budget must be positive")
    budget = args.budget or DEFAULT_BUDGET
    if is_table(args.script):
        if not args.target:
            return _usage_error(f"checkup {args.script}: --target COLUMN is required for a table")
        try:
            report = checkup_table(args.script, args.target, budget=budget, select=_split(args.select),
                                   ignore=_split(args.ignore), progress=not args.quiet)
        except TableError as exc:
            return _usage_error(str(exc))
    else:
        if not os.path.isfile(args.script):
            return _usage_error(f"no such script: {args.script}")
        report = checkup_script(args.script, args.script_args, max_steps=args.max_steps or DEFAULT_MAX_STEPS,
                                budget=budget, profile=args.profile, select=_split(args.select),
                                ignore=_split(args.ignore), progress=not args.quiet)
    emit(report, json_path=args.json, quiet=args.quiet)
    if report.script_status or args.fail_on != "warning":
        return 0 if args.fail_on == "never" and not report.script_status else report.exit_status()
    return 1 if report.diagnosis else 0


def cmd_explain(key: str) -> int:
    from rich.console import Console
    from rich.markdown import Markdown

    from unstuck.rules import lookup
    found = lookup(key)
    if not found:
        print(f"unstuck: error: no rule matches {key!r} (see `unstuck rules`)", file=sys.stderr)
        return 2
    console = Console()
    for r in found:
        text = [f"# {r.code} `{r.cause}` ({r.kind.value}, default severity {r.severity.value})", "", r.title, ""]
        for heading, body in r.sections().items():
            text += [f"## {heading}", ""]
            if heading == "Example":
                text += ["```python", _dedent(body), "```"]
            elif heading == "Fix":  # mixes prose and code lines: keep its line breaks
                text += ["  \n".join(_dedent(body).splitlines())]
            else:
                text += [_dedent(body)]
            text.append("")
        if r.thresholds:
            text += ["## Thresholds", ""] + [f"- `{k}` = {v}" for k, v in r.thresholds.items()] + [""]
        console.print(Markdown("\n".join(text)))
    return 0


def _dedent(body: str) -> str:
    import textwrap
    return textwrap.dedent(body)


def cmd_rules() -> int:
    from rich.console import Console
    from rich.table import Table

    from unstuck.rules import all_rules
    table = Table(title="unstuck rules")
    for col in ("code", "cause", "kind", "severity", "title"):
        table.add_column(col)
    for r in all_rules():
        table.add_row(r.code, r.cause, r.kind.value, r.severity.value, r.title)
    Console().print(table)
    return 0
