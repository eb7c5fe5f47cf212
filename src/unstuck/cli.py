"""Command line: `unstuck run|checkup|demo|explain|rules|show|compare`."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from unstuck import __version__


def _exit_table() -> str:
    from unstuck.findings import EXIT_STATUSES
    return "exit status:\n" + "\n".join(f"  {code:<6} {meaning}" for code, meaning in EXIT_STATUSES)


VERBOSE_HELP = ("also list the rules that could not judge the run, and why; log the tool's own debugging "
                "messages")


def _diagnosing_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="PATH", help="write the machine report (JSON) to PATH")
    p.add_argument("--max-steps", type=int, metavar="N", help="stop the training after N optimizer steps and report")
    p.add_argument("--select", action="append", metavar="RULE", default=None,
                   help="only these rules: codes, code prefixes (GF) or cause slugs; repeatable or comma-separated")
    p.add_argument("--ignore", action="append", metavar="RULE", default=None, help="skip these rules (as --select)")
    p.add_argument("--profile", choices=["economy", "default", "full"], default="default",
                   help="how many training steps are watched in detail (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no terminal report (use with --json)")
    # `-v` only: a script's own `--verbose` after the script is common, and is not unstuck's
    p.add_argument("-v", dest="verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    p.add_argument("--fail-on", choices=["error", "warning", "never"], default="error",
                   help="which findings make the exit status 1: errors (default), warnings and errors, or "
                   "never (the status is then 0 unless the script itself fails)")
    p.add_argument("--html", metavar="PATH", help="write the visual report (one self-contained HTML page) to PATH")
    p.add_argument("--log-dir", metavar="DIR", default="unstuck-runs",
                   help="keep the run in a new folder under DIR: step log, reports, checkpoints "
                   "(default: %(default)s)")
    p.add_argument("--no-log", action="store_true", help="keep no run folder")
    p.add_argument("--checkpoint-every", type=int, metavar="N",
                   help="save the watched model(s) and optimizer(s) every N optimizer steps into the run folder")
    p.add_argument("--keep-checkpoints", type=int, metavar="K", default=3,
                   help="keep the last K checkpoints, and the one with the lowest loss (default: %(default)s)")


def _nproc_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--nproc-per-node", type=int, metavar="N", default=None,
                   help="run N processes, as `torchrun --standalone --nproc-per-node N SCRIPT` would, watch "
                   "each and report once, with checks across the processes (duplicated data, replicas "
                   "that drift apart)")


def _checkup_options(p: argparse.ArgumentParser) -> None:
    _diagnosing_options(p)
    p.add_argument("--target", metavar="COLUMN", help="tables: the column to predict")
    p.add_argument("--budget", type=float, metavar="SECONDS", default=None,
                   help="time for all experiments together (default: 60)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="unstuck", description="Tells you why your PyTorch network is not "
                                     "learning, and how to fix it.")
    parser.add_argument("--version", action="version", version=f"unstuck {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a training script under observation and diagnose it",
                         description="Run SCRIPT exactly as `python SCRIPT ARGS...` would, watch its training, "
                         "and report why it is (not) learning. Options go before SCRIPT; everything after "
                         "SCRIPT is passed to it unchanged.", epilog=_exit_table(),
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    _diagnosing_options(run)
    _nproc_option(run)
    run.add_argument("--confirm", action="store_true",
                     help="replay a short training on copies of the model and batches with each root cause's fix "
                     "applied, beside the training as written, and say whether the fix clearly helps "
                     "(a few seconds per cause; `unstuck checkup` always does)")
    run.add_argument("-m", dest="module", metavar="MODULE", default=None,
                     help="run a module as `python -m MODULE ARGS...` would (instead of SCRIPT)")
    run.add_argument("script", help="the training script (a file, or a folder or zip file with __main__.py)")
    run.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    checkup = sub.add_parser(
        "checkup", help="run, then sanity experiments on copies of the model and data, and a verdict",
        description="Watch SCRIPT like `run` (its training stops after --max-steps, default 200), then re-train "
        "copies of the captured model on the captured samples: overfit a few samples, simple baselines, an "
        "input-independent baseline, a learning-rate range test and an optimizer comparison; conclude bug, data, "
        "capacity, optimisation or healthy. Or check a table: `unstuck checkup DATA.csv --target COLUMN`.")
    _checkup_options(checkup)
    _nproc_option(checkup)
    checkup.add_argument("script", help="the training script, or a .csv/.parquet table")
    checkup.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    demo = sub.add_parser("demo", help="the bundled example: a broadcasting bug, diagnosed, then fixed")
    demo.add_argument("--json", metavar="PATH", help="write the buggy run's JSON report to PATH")
    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("key", help="rule code (GF001), code prefix (GF) or cause slug (detached-graph)")
    sub.add_parser("rules", help="list every rule")
    show = sub.add_parser("show", help="print the report of a past run",
                          description="Print the terminal report of a past run from its folder (or of the "
                          "latest run under a --log-dir folder).")
    show.add_argument("run_dir", metavar="RUN_DIR")
    compare = sub.add_parser("compare", help="two past runs side by side: findings and loss curves")
    compare.add_argument("run_a", metavar="RUN_A")
    compare.add_argument("run_b", metavar="RUN_B")
    compare.add_argument("--html", metavar="PATH", help="also write the comparison as an HTML page")
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
    run = _subparsers(parser).choices["run"]
    takes_value = {o for a in run._actions if a.nargs != 0 for o in a.option_strings}
    i = argv.index("run") + 1
    while i < len(argv):
        if argv[i] == "-m" and i + 1 < len(argv):
            return argv[:i] + ["-m", argv[i + 1], argv[i + 1]], argv[i + 2:]
        if not argv[i].startswith("-"):
            break  # the script: what follows is its own
        i += 2 if argv[i] in takes_value else 1
    return argv, None


def _did_you_mean(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """`unstuck train.py` -> "did you mean `unstuck run train.py`?" (a script given without a command)."""
    commands = set(_subparsers(parser).choices)
    for i, arg in enumerate(argv):
        if arg.startswith("-"):
            continue
        if arg in commands or not (arg.endswith(".py") or os.path.isfile(arg)):
            return None
        rest = " ".join(argv[:i] + ["run"] + argv[i:])
        return f"unstuck: error: {arg!r} is not a command; did you mean `unstuck {rest}`?"
    return None


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _misplaced_options(parser: argparse.ArgumentParser, command: str, script: str,
                       script_args: list[str]) -> list[str]:
    """unstuck's own options that came after the script, so they went to the script."""
    options = {opt for a in _subparsers(parser).choices[command]._actions for opt in a.option_strings
               if opt.startswith("--") and opt != "--help"}
    found = [arg.split("=", 1)[0] for arg in script_args if arg.split("=", 1)[0] in options]
    found = list(dict.fromkeys(found))
    if not found:
        return []
    names = ", ".join(f"`{o}`" for o in found)
    return [f"{names} went to the script, not to unstuck: options of unstuck go before the script "
            f"(`unstuck {command} {found[0]} ... {script}`)."]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    hint = _did_you_mean(parser, argv)
    if hint:
        parser.print_usage(sys.stderr)
        print(hint, file=sys.stderr)
        return 2
    argv, module_args = _split_module(parser, argv)
    args = parser.parse_args(argv)
    if module_args is not None:
        args.script_args = module_args
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="unstuck %(levelname)s %(name)s: %(message)s")
    if args.command == "run":
        return cmd_run(args, parser)
    if args.command == "checkup":
        return cmd_checkup(args, parser)
    if args.command == "demo":
        from unstuck.demo import run_demo
        return run_demo(json_path=args.json)
    if args.command == "explain":
        return cmd_explain(args.key)
    if args.command == "rules":
        return cmd_rules()
    if args.command == "show":
        return cmd_show(args.run_dir)
    if args.command == "compare":
        return cmd_compare(args.run_a, args.run_b, args.html)
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
    problem = _logbook_usage_error(args) or _distributed_usage_error(args)
    if problem:
        print(f"unstuck: error: {problem}", file=sys.stderr)
        return 2
    from unstuck.integrations import distributed
    where = distributed.mode()
    if where == "worker":  # a process of `unstuck run --nproc-per-node`: its parent reports
        return _run_worker(args)
    if args.nproc_per_node:
        return _run_launched(args, parser)
    if where == "torchrun":
        return _run_under_torchrun(args, parser)
    from unstuck.api import observe_and_diagnose
    from unstuck.report import emit
    observers, book = _watchers(args)

    def terminated(report) -> None:  # SIGTERM: the same report and run folder, then the signal
        emit(report, json_path=args.json, quiet=args.quiet, verbose=args.verbose)
        _finish_logbook(book, report, None, args)

    # The captured samples: the data check when learning stalls (checkup.stall), and with
    # --confirm a copy of the model as training began, for the replays. Built once the script
    # imports torch (observe.hub.Later): a script without torch does not import it.
    from unstuck.observe.hub import Later
    capture = Later(_full_capture if args.confirm else _data_capture)
    report, trace = observe_and_diagnose(args.script, args.script_args, module=bool(args.module),
                                         max_steps=args.max_steps, profile=args.profile,
                                         select=_split(args.select), ignore=_split(args.ignore),
                                         observers=[*observers, capture], on_terminate=terminated)
    if capture.made is not None:
        from unstuck.checkup import stall
        report = stall.check(report, trace, capture.made, select=_split(args.select), ignore=_split(args.ignore),
                             command=stall.command_line(args.script, args.script_args))
        if args.confirm:
            from unstuck.checkup.confirm import confirm_report
            confirm_report(report, capture.made.problem()[0])
    report.notes += _misplaced_options(parser, "run", args.script, args.script_args)
    emit(report, json_path=args.json, quiet=args.quiet, verbose=args.verbose)
    _finish_logbook(book, report, trace, args)
    return report.exit_status(args.fail_on)


def _data_capture():
    from unstuck.checkup import stall
    return stall.capture_observer()


def _full_capture():
    from unstuck.checkup.capture import CaptureObserver
    return CaptureObserver()


def _watchers(args) -> tuple[list, object]:
    """The live status line (unless --quiet) and the run's logbook, with their observers."""
    observers = []
    if not args.quiet:
        from unstuck.report.live import LiveStatus
        live = LiveStatus.for_terminal(sys.stderr, select=_split(args.select), ignore=_split(args.ignore))
        observers = [live] if live else []
    book = _logbook(args)
    if book:
        observers += book.observers()
    return observers, book


def _distributed_usage_error(args) -> str | None:
    from unstuck.integrations.distributed import launcher_env
    if args.nproc_per_node is None:
        return None
    if args.nproc_per_node < 1:
        return "--nproc-per-node must be at least 1"
    if launcher_env() is not None:
        return ("--nproc-per-node starts its own processes, but this one already runs under a distributed "
                "launcher (RANK and WORLD_SIZE are set): drop --nproc-per-node")
    return None


def _run_worker(args) -> int:
    """A process of `unstuck run --nproc-per-node`: rank 0 keeps its step log (and checkpoints)
    in the parent's run folder, the others a thinned step log that goes with their result."""
    from unstuck.integrations import distributed
    rank = distributed.launcher_env()[0]
    book = steplog = None
    if os.environ.get(distributed.RUN_DIR_ENV):
        try:
            book = distributed.worker_logbook(args.script, rank)
            steplog = None if rank == 0 else distributed.rank_steplog()
        except (OSError, ValueError) as exc:  # the run goes on without its files
            print(f"unstuck: rank {rank} keeps no step log ({exc})", file=sys.stderr)
    ended = distributed.run_rank(args.script, args.script_args, channel=distributed.channel(),
                                 module=bool(args.module), max_steps=args.max_steps, profile=args.profile,
                                 observers=book.observers() if book else (), steplog=steplog)
    return ended.result.status or 0


def _run_launched(args, parser) -> int:
    """`unstuck run --nproc-per-node N`: N watched processes, one report; the run folder holds
    rank 0's step log and checkpoints, the other ranks' thinned step logs under `ranks/`."""
    from unstuck.integrations.distributed import launch_and_diagnose
    from unstuck.report import emit
    book = _logbook(args, checkpoints=False)  # rank 0 saves the checkpoints, into this folder
    checkpoint = (args.checkpoint_every, args.keep_checkpoints) if args.checkpoint_every else None
    report, trace, ended = launch_and_diagnose(
        args.script, args.script_args, nproc=args.nproc_per_node, module=bool(args.module),
        max_steps=args.max_steps, profile=args.profile, select=_split(args.select), ignore=_split(args.ignore),
        run_dir=book.path if book else None, checkpoint=checkpoint)
    report.notes += _misplaced_options(parser, "run", args.script, args.script_args)
    emit(report, json_path=args.json, quiet=args.quiet)
    _finish_distributed_logbook(book, report, trace, ended, args)
    return report.exit_status(args.fail_on)


def _finish_distributed_logbook(book, report, trace, ended, args) -> None:
    if book is not None and book.path:
        from unstuck.integrations.distributed import write_rank_steplogs
        try:
            write_rank_steplogs(book.path, ended)
        except OSError as exc:
            print(f"unstuck: could not write the other ranks' step logs: {exc}", file=sys.stderr)
    _finish_logbook(book, report, trace, args)


def _run_under_torchrun(args, parser) -> int:
    """`torchrun ... $(which unstuck) run train.py`: every rank is watched and sends its facts to
    rank 0 through the launch's store (a folder of this node without one) at the end; rank 0
    gathers them (at most GATHER_TIMEOUT s) and reports, the others exit as the script did."""
    import time

    from unstuck.integrations import distributed
    from unstuck.report import emit
    started = time.time()
    rank = distributed.launcher_env()[0]
    chan = distributed.channel(started=started)
    if rank != 0:
        steplog = None if args.no_log else distributed.rank_steplog()
        return distributed.run_rank(args.script, args.script_args, channel=chan, module=bool(args.module),
                                    max_steps=args.max_steps, profile=args.profile,
                                    steplog=steplog).result.status or 0
    observers, book = _watchers(args)

    def report_for(own, timeout=None):
        report, trace, ended = distributed.gather_and_diagnose(own, chan, select=_split(args.select),
                                                               ignore=_split(args.ignore), timeout=timeout)
        report.notes += _misplaced_options(parser, "run", args.script, args.script_args)
        emit(report, json_path=args.json, quiet=args.quiet)
        _finish_distributed_logbook(book, report, trace, ended, args)
        return report

    def terminated(own) -> None:  # torchrun stops the ranks (one failed): report what came back, then die
        report_for(own, timeout=distributed.TERM_GATHER_TIMEOUT)

    own = distributed.run_rank(args.script, args.script_args, channel=chan, module=bool(args.module),
                               max_steps=args.max_steps, profile=args.profile, observers=observers,
                               on_terminate=terminated)
    return report_for(own).exit_status(args.fail_on)


def _logbook_usage_error(args) -> str | None:
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        return "--checkpoint-every must be at least 1"
    if args.keep_checkpoints < 1:
        return "--keep-checkpoints must be at least 1"
    if args.checkpoint_every and args.no_log:
        return "--checkpoint-every needs a run folder: drop --no-log"
    return None


def _logbook(args, checkpoints: bool = True):
    """The run folder and step log of a diagnosing command (None with --no-log and no --html).
    `checkpoints=False`: another process saves them (rank 0 of `--nproc-per-node`)."""
    if args.no_log and not args.html:
        return None
    from unstuck.logbook import Logbook
    if not args.no_log:
        try:
            return Logbook(args.script, args.log_dir, checkpoint_every=args.checkpoint_every if checkpoints else None,
                           keep_checkpoints=args.keep_checkpoints)
        except OSError as exc:  # e.g. a read-only folder: the diagnosis still runs
            print(f"unstuck: no run folder ({exc}); use --log-dir DIR or --no-log", file=sys.stderr)
    return Logbook(args.script) if args.html else None


def _finish_logbook(book, report, trace, args) -> None:
    if book is None:
        return
    try:
        book.finish(report, trace, html_path=args.html)
    except (OSError, ValueError, TypeError, KeyError) as exc:  # the diagnosis is out: never crash after it
        logging.getLogger(__name__).debug("writing the run's files failed", exc_info=True)
        print(f"unstuck: could not write the run's files: {exc}", file=sys.stderr)
        return
    if args.quiet:
        return
    if book.path:
        from unstuck.logbook.rundir import REPORT_HTML
        print(f"unstuck: run kept in {book.path}; visual report {os.path.join(book.path, REPORT_HTML)}  "
              f"(`unstuck show {book.path}`)", file=sys.stderr)
    if args.html:
        print(f"unstuck: visual report written to {args.html}", file=sys.stderr)


def cmd_show(path: str) -> int:
    from unstuck.logbook.rundir import NotARunDir, latest_run, load_run
    from unstuck.report.runs import render_show
    try:
        render_show(load_run(latest_run(path)))
    except NotARunDir as exc:
        print(f"unstuck: error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_compare(path_a: str, path_b: str, html: str | None) -> int:
    from unstuck.logbook.rundir import NotARunDir, load_run
    from unstuck.report.runs import render_compare
    try:
        a, b = load_run(path_a), load_run(path_b)
    except NotARunDir as exc:
        print(f"unstuck: error: {exc}", file=sys.stderr)
        return 2
    render_compare(a, b)
    if html:
        from unstuck.report.html import render_compare_html, write_html
        write_html(html, render_compare_html(a.view(), b.view()))
    return 0


def _usage_error(message: str) -> int:
    print(f"unstuck: error: {message}", file=sys.stderr)
    return 2


def cmd_checkup(args, parser) -> int:
    from unstuck.checkup import DEFAULT_BUDGET, DEFAULT_MAX_STEPS, checkup_script, checkup_table
    from unstuck.checkup.tabular import TableError, is_table
    from unstuck.report import emit
    from unstuck.rules import lookup
    table = is_table(args.script)
    if table:  # a table takes no arguments: its options may follow the file
        p = argparse.ArgumentParser(prog="unstuck checkup DATA", add_help=False, exit_on_error=False)
        _checkup_options(p)
        try:
            more = p.parse_args(args.script_args)
        except (argparse.ArgumentError, SystemExit) as exc:
            return _usage_error(f"checkup {args.script}: {exc}")
        defaults = vars(p.parse_args([]))
        for key, value in vars(more).items():
            if value != defaults.get(key):
                setattr(args, key, value)
    for key in (_split(args.select) or []) + (_split(args.ignore) or []):
        if not lookup(key):
            return _usage_error(f"no rule matches {key!r} (see `unstuck rules`)")
    if args.max_steps is not None and args.max_steps < 1:
        return _usage_error("--max-steps must be at least 1")
    if args.budget is not None and args.budget <= 0:
        return _usage_error("--budget must be positive")
    problem = _logbook_usage_error(args)
    if problem:
        return _usage_error(problem)
    if args.nproc_per_node is not None or (not table and _under_launcher()):
        return _usage_error("checkup re-trains copies of the model in one process and does not run distributed "
                            "scripts: use `unstuck run --nproc-per-node N SCRIPT` for the distributed checks, and "
                            "`unstuck checkup` on a single-process version of the script")
    budget = args.budget or DEFAULT_BUDGET
    options = dict(budget=budget, select=_split(args.select), ignore=_split(args.ignore), progress=not args.quiet)
    if table:
        if not args.target:
            return _usage_error(f"checkup {args.script}: --target COLUMN is required for a table")
        try:
            report = checkup_table(args.script, args.target, **options)
        except TableError as exc:
            return _usage_error(str(exc))
        emit(report, json_path=args.json, quiet=args.quiet, verbose=args.verbose)
        # No training was watched: the run folder holds the reports (and the page its checkup).
        _finish_logbook(_logbook(args), report, None, args)
        _die_if_terminated()
        return report.exit_status(args.fail_on)
    if not os.path.isfile(args.script):
        return _usage_error(f"no such script: {args.script}")
    book = _logbook(args)

    def script_terminated(report) -> None:  # SIGTERM while the script runs: as for `unstuck run`
        emit(report, json_path=args.json, quiet=args.quiet, verbose=args.verbose)
        _finish_logbook(book, report, None, args)

    report, trace = checkup_script(args.script, args.script_args, max_steps=args.max_steps or DEFAULT_MAX_STEPS,
                                   profile=args.profile, observers=book.observers() if book else (),
                                   with_trace=True, on_terminate=script_terminated, **options)
    report.notes += _misplaced_options(parser, "checkup", args.script, args.script_args)
    emit(report, json_path=args.json, quiet=args.quiet, verbose=args.verbose)
    _finish_logbook(book, report, trace, args)
    _die_if_terminated()
    return report.exit_status(args.fail_on)


def _die_if_terminated() -> None:
    """SIGTERM stopped the checkup's experiments: the report of what they measured is out;
    now the process ends as the signal would have ended it."""
    from unstuck.checkup.problem import die_of_sigterm, terminated
    if terminated():
        die_of_sigterm()


def _under_launcher() -> bool:
    from unstuck.integrations.distributed import launcher_env
    return launcher_env() is not None


def cmd_explain(key: str) -> int:
    from rich.console import Console
    from rich.markdown import Markdown

    from unstuck.report.explain import rule_markdown
    from unstuck.rules import lookup
    found = lookup(key)
    if not found:
        print(f"unstuck: error: no rule matches {key!r} (see `unstuck rules`)", file=sys.stderr)
        return 2
    console = Console()
    for r in found:
        console.print(Markdown(rule_markdown(r)))
    return 0


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
