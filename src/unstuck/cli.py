"""Command line: `unstuck run|demo|explain|rules`."""
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
    run.add_argument("-m", dest="module", metavar="MODULE", default=None,
                     help="run a module as `python -m MODULE ARGS...` would (instead of SCRIPT)")
    run.add_argument("script", help="the training script (a file, or a folder or zip file with __main__.py)")
    run.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
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


def _split_module(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[list[str], list[str] | None]:
    """`run [OPTIONS] -m MODULE ARGS...`: everything after MODULE belongs to the module, as
    with `python -m`. Returns the argv for the parser (MODULE in the script's place) and the
    module's arguments (None without -m)."""
    if "run" not in argv:
        return argv, None
    run = parser._subparsers._group_actions[0].choices["run"]
    takes_value = {o for a in run._actions if a.nargs != 0 for o in a.option_strings}
    i = argv.index("run") + 1
    while i < len(argv):
        if argv[i] == "-m" and i + 1 < len(argv):
            return argv[:i] + ["-m", argv[i + 1], argv[i + 1]], argv[i + 2:]
        if not argv[i].startswith("-"):
            break  # the script: what follows is its own
        i += 2 if argv[i] in takes_value else 1
    return argv, None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv, module_args = _split_module(parser, list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    if module_args is not None:
        args.script_args = module_args
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="unstuck %(levelname)s %(name)s: %(message)s")
    if args.command == "run":
        return cmd_run(args, parser)
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
    if not args.module and not os.path.exists(args.script):
        print(f"unstuck: error: no such script: {args.script}", file=sys.stderr)
        return 2
    if args.max_steps is not None and args.max_steps < 1:
        print("unstuck: error: --max-steps must be at least 1", file=sys.stderr)
        return 2
    from unstuck.api import diagnose_script
    from unstuck.report import emit
    report = diagnose_script(args.script, args.script_args, module=bool(args.module), max_steps=args.max_steps,
                             profile=args.profile, select=_split(args.select), ignore=_split(args.ignore),
                             on_terminate=lambda r: emit(r, json_path=args.json, quiet=args.quiet))
    emit(report, json_path=args.json, quiet=args.quiet)
    return report.exit_status()


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
