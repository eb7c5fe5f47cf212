"""The terminal report, rendered with rich.

The headline says what was observed (the script failed, nothing was trained, or how many
steps were judged). Each root cause gets a numbered box; the findings that follow from it
are listed under it ("because of 1: ..."), never as boxes of their own: fixing the root
cause fixes them."""
from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from unstuck.report.folding import because, fold_findings
from unstuck.reportdata import Finding, Kind, Location, ReportData, Severity, Status, prose

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}


def _where(label: str, loc: Location) -> list:
    parts: list = [Text(f"{label}{loc.file}:{loc.line} in {loc.function}", style="bold cyan")]
    if loc.code:
        parts.append(Padding(Syntax(loc.code, "python", theme="ansi_dark", background_color="default",
                                    word_wrap=True), (0, 0, 0, 4)))
    return parts


def _finding(i: int, f: Finding) -> Panel:
    parts: list = []
    head = Text()
    head.append(f"{f.severity.value.upper()} ", style=STYLE[f.severity])
    head.append(f"{f.cause}", style="bold")
    head.append(f"  [{f.rule}]" + ("  symptom" if f.kind is Kind.SYMPTOM else ""), style="dim")
    parts.append(head)
    if f.location:
        parts += _where("", f.location)
    if f.shows_at and f.shows_at != f.location:
        parts += _where("shows at ", f.shows_at)
    parts.append(Text(prose(f.message)))
    if f.why:
        parts.append(Text.assemble(("Why it stops learning: ", "bold"), prose(f.why)))
    if f.fix:
        parts.append(Text.assemble(("Fix: ", "bold green"), f.fix.strip()))
    if f.confirmation:
        parts.append(confirmation_line(f.confirmation))
    return Panel(Group(*parts), title=f"{i}. {f.title}", title_align="left",
                 border_style=STYLE[f.severity].replace("bold ", ""))


def confirmation_text(c: dict) -> str:
    """What the replay with the fix showed, in one sentence (terminal and HTML)."""
    if c.get("status") == "not-tried":
        return f"Replay not tried ({c.get('reason')})."
    w, x = c.get("as_written") or {}, c.get("with_fix") or {}
    # the measure that decided: the score, else the held-back loss (for a fix between the model's
    # output and its loss, the fixed loss measured on both models: `loss_as_fixed`)
    by_loss = x.get("score") is None or str(c.get("reason", "")).startswith("held-back loss")
    measure, written = ("loss", w.get("loss_as_fixed", w.get("loss"))) if by_loss else ("score", w.get("score"))
    numbers = (f"with the fix ({c.get('fix_applied')}): held-back {measure} {_num(x.get(measure))} after "
               f"{c.get('steps')} steps; as written: {_num(written)}.")
    if c.get("status") == "confirmed":
        return "Confirmed by replay: " + numbers
    return ("Not confirmed by replay: " + numbers +
            " The diagnosis may be wrong, or the fix alone not enough in so short a replay.")


def confirmation_line(c: dict) -> Text:
    text = confirmation_text(c)
    head, _, rest = text.partition(": ") if c.get("status") != "not-tried" else ("", "", text)
    style = {"confirmed": "bold green", "not-confirmed": "bold yellow"}.get(c.get("status"), "dim")
    return Text.assemble((head + ": " if head else "", style), (rest, "dim" if not head else ""))


def _num(v) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def _consequence(numbers: tuple[int, ...], f: Finding) -> Padding:
    line = Text()
    line.append(f"{because(numbers)}: ", style="bold")
    line.append(f"{f.severity.value} ", style=STYLE[f.severity])
    line.append(f.cause, style="bold")
    line.append(f" [{f.rule}] ", style="dim")
    line.append(prose(f.message))
    if f.location:
        line.append(f" ({f.location})", style="cyan")
    return Padding(line, (0, 0, 0, 2))


def headline(report: ReportData) -> str:
    """What was observed, in one sentence: never a verdict without the number of steps judged."""
    s = report.summary
    n = report.steps_observed
    procs = s.get("processes")
    if procs is not None:  # a distributed run: every process was watched, one is shown in detail
        ran = "1 process ran" if procs == 1 else f"{procs} processes ran"
        return f"{ran}; rank {s.get('rank')} in detail. " + _one_process(report, n)
    return _one_process(report, n)


def _one_process(report: ReportData, n: int) -> str:
    s = report.summary
    if report.script_error:
        what = "The watched code" if report.command == "watch" else "The script"
        if not report.judged:
            return f"{what} failed before training: {report.script_error}. Nothing to judge."
        return f"{what} failed after {n} training step(s): {report.script_error}. Judged the {n} step(s) seen."
    if s.get("rows") is not None:  # `unstuck checkup DATA.csv`
        return f"Checked a table: {s['rows']} rows, {s.get('columns')} columns, target {s.get('target')!r}."
    if not report.judged:
        return "No optimizer step or backward pass was seen: nothing to judge."
    models = _counted(s.get("models", [])) or "none seen"
    opts = _counted(s.get("optimizers", [])) or "none"
    how = f"Stopped at --max-steps {n}" if s.get("stopped_at_max_steps") else "Finished"
    return (f"{how}: {n} training step(s) judged ({s.get('backward_calls', 0)} backward passes; "
            f"models: {models}; optimizers: {opts}).")


def _counted(names: list[str]) -> str:
    """`SGD x 44` for a name repeated (a model rebuilt per fold), in first-seen order."""
    counts = Counter(names)
    return ", ".join(n if counts[n] == 1 else f"{n} x {counts[n]}" for n in counts)


def verdict(report: ReportData) -> str:
    roots = report.roots
    if not report.judged:
        return "Nothing was judged."
    if not report.diagnosis:
        if report.summary.get("rows") is not None:  # a table's checkup: no training steps to count
            return "No problem found."
        return f"No problem found in {report.steps_observed} training step(s)."
    errors = sum(f.severity is Severity.ERROR for f in roots)
    follow = len(report.diagnosis) - len(roots)
    text = f"{len(roots)} root finding(s), {errors} error(s)"
    if follow:
        text += f"; {follow} more follow from them and go away with their fix"
    return text + "."


def render(report: ReportData, console: Console | None = None, verbose: bool = False) -> None:
    """The report on the terminal. `verbose` adds the rules that could not judge the run and
    why (skipped for want of something, or errored); without it only errored rules are
    counted, in one line. The JSON report always has every rule's status."""
    console = console or Console(stderr=True, highlight=False)
    console.print()
    console.rule("[bold]unstuck[/bold] report")
    for note in report.notes:
        console.print(Text(note, style="bold yellow"))
    console.print(Text(headline(report), style="bold"))
    checkup = getattr(report, "checkup", None)
    if checkup:
        from unstuck.report.checkup_terminal import render_checkup
        render_checkup(checkup, console, "verdict")
    shown = report.diagnosis
    for group in fold_findings(shown):
        console.print(_finding(group.number, group.root))
        for numbers, g in group.consequences:
            console.print(_consequence(numbers, g))
    for f in report.findings:
        if f.severity is Severity.INFO:
            console.print(Text(f"info [{f.rule}] {f.cause}: {prose(f.message)}", style="cyan"))
    for e in report.tool_errors:
        console.print(Text(f"tool error in {e.where} (x{e.count}): {e.error} — the script was not affected.",
                           style="dim"))
    if checkup:
        render_checkup(checkup, console, "experiments")
    done = verdict(report)
    console.print(Text(done, style="bold green" if report.judged and not shown else "bold"))
    not_run = [f"{r.code} {r.status.value} ({r.detail})" for r in report.rule_runs
               if r.status in (Status.SKIPPED, Status.ERRORED)]
    errored = sum(r.status is Status.ERRORED for r in report.rule_runs)
    if not_run and verbose:
        console.print(Text("Not judged: " + "; ".join(not_run) + ".", style="dim"))
    elif errored:
        console.print(Text(f"{errored} rule(s) failed inside unstuck and could not judge; -v shows which "
                           "(the script was not affected).", style="dim"))
