"""The terminal report, rendered with rich."""
from __future__ import annotations

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from unstuck.findings import Finding, Kind, Report, Severity, Status

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}


def _finding(i: int, f: Finding) -> Panel:
    parts = []
    head = Text()
    head.append(f"{f.severity.value.upper()} ", style=STYLE[f.severity])
    head.append(f"{f.cause}", style="bold")
    head.append(f"  [{f.rule}]" + ("  symptom" if f.kind is Kind.SYMPTOM else ""), style="dim")
    parts.append(head)
    if f.location:
        parts.append(Text(f"{f.location.file}:{f.location.line} in {f.location.function}", style="bold cyan"))
        if f.location.code:
            parts.append(Padding(Syntax(f.location.code, "python", theme="ansi_dark", background_color="default"),
                                 (0, 0, 0, 4)))
    parts.append(Text(f.message))
    if f.why:
        parts.append(Text.assemble(("Why it stops learning: ", "bold"), " ".join(f.why.split())))
    if f.fix:
        parts.append(Text.assemble(("Fix: ", "bold green"), f.fix))
    if f.explains:
        parts.append(Text("Explains: " + ", ".join(f.explains), style="dim"))
    return Panel(Group(*parts), title=f"{i}. {f.title}", title_align="left",
                 border_style=STYLE[f.severity].replace("bold ", ""))


def render(report: Report, console: Console | None = None) -> None:
    console = console or Console(stderr=True, highlight=False)
    console.print()
    console.rule("[bold]unstuck[/bold] report")
    shown = report.diagnosis
    infos = [f for f in report.findings if f.severity is Severity.INFO]
    for i, f in enumerate(shown, 1):
        console.print(_finding(i, f))
    for f in infos:
        console.print(Text(f"info [{f.rule}] {f.cause}: {f.message}", style="cyan"))
    for e in report.tool_errors:
        console.print(Text(f"tool error in {e.where} (x{e.count}): {e.error} — the script was not affected.",
                           style="dim"))
    s = report.summary
    models = ", ".join(s.get("models", [])) or "none"
    opts = ", ".join(s.get("optimizers", [])) or "none"
    line = (f"{report.steps_observed} training steps observed ({s.get('backward_calls', 0)} backward passes); "
            f"models: {models}; optimizers: {opts}.")
    if not shown:
        console.print(Text.assemble(("No problem found. ", "bold green"), line))
    else:
        errors = sum(f.severity is Severity.ERROR for f in shown)
        console.print(Text.assemble((f"{len(shown)} finding(s), {errors} error(s). ", "bold"), line))
    not_run = [f"{r.code} {r.status.value} ({r.detail})" for r in report.rule_runs
               if r.status in (Status.SKIPPED, Status.ERRORED)]
    if not_run:
        console.print(Text("Not judged: " + "; ".join(not_run) + ".", style="dim"))
    if s.get("stopped_at_max_steps"):
        console.print(Text(f"Training was stopped after --max-steps {report.steps_observed} steps.", style="dim"))
