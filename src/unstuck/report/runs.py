"""Terminal views of past runs (`unstuck show`, `unstuck compare`), read from run folders."""
from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table
from rich.text import Text

from unstuck.report.folding import because, fold_dicts

SPARKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 40


def _losses(rows: list[dict]) -> list[float]:
    return [r["loss"] for r in rows if isinstance(r.get("loss"), (int, float)) and math.isfinite(r["loss"])]


def _bucket_means(values: list[float], width: int) -> list[float]:
    n = min(width, len(values))
    buckets = [values[i * len(values) // n:(i + 1) * len(values) // n] for i in range(n)]
    return [sum(b) / len(b) for b in buckets if b]


def sparkline(values: list[float], width: int = SPARK_WIDTH, scale: tuple[float, float] | None = None) -> str:
    """The values as one line of block characters, each the mean of its share of the values;
    `scale` (low, high) puts several lines on one scale."""
    if not values:
        return ""
    means = _bucket_means(values, width)
    lo, hi = scale or (min(means), max(means))
    if hi - lo <= 0:
        return SPARKS[0] * len(means)
    return "".join(SPARKS[max(0, min(len(SPARKS) - 1, int((m - lo) / (hi - lo) * len(SPARKS))))] for m in means)


def _loss_line(rows: list[dict]) -> str:
    losses = _losses(rows)
    if not losses:
        return "no loss logged"
    return f"first {losses[0]:.4g}, last {losses[-1]:.4g}, lowest {min(losses):.4g} ({len(losses)} steps logged)"


def render_show(run, console: Console | None = None) -> None:
    """A past run: its terminal report as printed then, and what its folder keeps."""
    console = console or Console(highlight=False)
    if run.text:
        console.out(run.text, end="", highlight=False)
    else:  # a folder without its terminal report: the findings from report.json
        console.print(Text(f"{run.report.get('script', '')}: {run.report.get('steps_observed', 0)} training "
                           "step(s) observed", style="bold"))
        console.print(_findings_text(run.report))
    console.print(Text(f"Run folder {run.path}", style="bold"), soft_wrap=True)
    console.print(f"  loss: {_loss_line(run.rows)}")
    losses = _losses(run.rows)
    if losses:
        console.print(f"  {sparkline(losses)}")
    if run.header.get("downsampled"):
        console.print(Text(f"  the step log was thinned before step {run.header.get('thinned_before_step')}",
                           style="dim"))
    for c in run.checkpoints:
        console.print(f"  checkpoint {c['file']}", soft_wrap=True)


def _where(loc: dict | None) -> str:
    if not loc:
        return ""
    return f"{str(loc.get('file', '')).rsplit('/', 1)[-1]}:{loc.get('line')}"


def _places(f: dict) -> str:
    """`file:line` of the line to edit, and where it showed when that is another line."""
    where, shows = _where(f.get("location")), _where(f.get("shows_at"))
    if shows and shows != where:
        return f" {where}, shows at {shows}" if where else f" shows at {shows}"
    return f" {where}" if where else ""


def _findings_text(report: dict) -> Text:
    """The findings of a past run, folded as the terminal report folds them: each root cause
    numbered, what follows from it under it, and the counts."""
    groups = fold_dicts(report.get("findings", []))
    if not groups:
        steps = report.get("steps_observed", 0)
        return Text(f"no finding ({steps} steps observed)", style="green")
    text = Text()
    follow = 0
    for g in groups:
        f = g.root
        text.append(f"{g.number}. {f.get('cause')}", style="red" if f.get("severity") == "error" else "yellow")
        text.append(f"{_places(f)}\n", style="dim")
        for numbers, c in g.consequences:
            follow += 1
            text.append(f"   {because(numbers)}: ", style="bold")
            text.append(str(c.get("cause")))
            text.append(f"{_places(c)}\n", style="dim")
    summary = f"{len(groups)} root cause(s)"
    if follow:
        summary += f"; {follow} more follow from them"
    text.append(summary, style="bold")
    return text


def render_compare(a, b, console: Console | None = None) -> None:
    """Two runs side by side: status, loss curves (as sparklines) and findings."""
    console = console or Console(highlight=False)
    table = Table(title="unstuck: two runs compared", show_lines=True)
    table.add_column("")
    table.add_column(f"A: {a.label}", overflow="fold")
    table.add_column(f"B: {b.label}", overflow="fold")
    table.add_row("script", a.report.get("script", ""), b.report.get("script", ""))
    table.add_row("steps", str(a.report.get("steps_observed", 0)), str(b.report.get("steps_observed", 0)))
    table.add_row("script status", a.report.get("script_error") or "finished",
                  b.report.get("script_error") or "finished")
    table.add_row("loss", _loss_line(a.rows), _loss_line(b.rows))
    la, lb = _losses(a.rows), _losses(b.rows)
    means = _bucket_means(la, 30) + _bucket_means(lb, 30) if la or lb else []
    scale = (min(means), max(means)) if means else None
    table.add_row("loss curve\n(one scale)", sparkline(la, 30, scale), sparkline(lb, 30, scale))
    table.add_row("findings", _findings_text(a.report), _findings_text(b.report))
    console.print(table)
