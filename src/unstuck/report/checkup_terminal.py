"""The checkup part of the terminal report: a compact verdict panel, the table's integrity, then
each experiment's part (its unit's `terminal` hook, `checkup/units.py`). It renders
`report.checkup` (the JSON contract) and judges nothing."""
from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from unstuck.checkup.results import EXPERIMENTS

VERDICT_STYLE = {"bug": "red", "data": "red", "capacity": "yellow", "optimisation": "yellow", "healthy": "green",
                 "inconclusive": "dim"}


def verdict_panel(ck: dict) -> Panel | None:
    v = ck.get("verdict")
    if not v:
        return None
    style = VERDICT_STYLE.get(v.get("kind"), "white")
    what = f"{ck.get('task', '')} task, {ck.get('samples', 0)} samples, {ck.get('seconds', 0):.1f} s"
    return Panel(Group(Text(v.get("summary", "")), Text(what, style="dim")),
                 title=f"checkup verdict: {v.get('kind', '?').upper()}", title_align="left", border_style=style)


def reading(integ: dict) -> list[str]:
    """How the table was read: every coercion the experiments' data went through."""
    lines = []
    stray, dropped = integ.get("stray_text", {}), integ.get("dropped_columns", [])
    for col, (count, example) in stray.items():
        what = "left out (too many distinct values to encode)" if col in dropped else "one-hot encoded"
        lines.append(f"Column {col!r} is mostly numbers but {count} value(s) are not (e.g. {example!r}): it was read "
                     f"as text and {what}. Clean those values if it is a numeric feature.")
    plain = [c for c in integ.get("categorical", []) if c not in stray and c not in dropped]
    if plain:
        lines.append("Read as categorical and one-hot encoded: " + ", ".join(plain) + ".")
    left = [c for c in dropped if c not in stray]
    if left:
        lines.append("Left out (text with too many distinct values to encode): " + ", ".join(left) + ".")
    if integ.get("rows_dropped"):
        lines.append(f"{integ['rows_dropped']} row(s) with missing or non-finite cells dropped before the experiments.")
    if integ.get("target_encoding"):
        lines.append(f"Target: {integ['target_encoding']}.")
    return lines


def tables(ck: dict) -> list:
    out: list = []
    integ = ck.get("integrity")
    if integ:
        t = Table(title="Table integrity", title_justify="left")
        for col in ("rows", "columns", "non-finite cells", "constant columns", "duplicate rows", "labels"):
            t.add_column(col)
        nonfinite = ", ".join(f"{k}: {v}" for k, v in integ.get("nonfinite", {}).items()) or "none"
        labels = ", ".join(f"{k}: {v}" for k, v in list(integ.get("label_counts", {}).items())[:6]) or "-"
        t.add_row(str(integ.get("rows")), str(integ.get("columns")), nonfinite,
                  ", ".join(integ.get("constant_columns", [])) or "none", str(integ.get("duplicate_rows")), labels)
        out.append(t)
        out.extend(Text(line) for line in reading(integ))
    for unit in EXPERIMENTS:  # each experiment renders its own part, in the order they ran
        out.extend(unit.terminal(ck))
    for key, why in ck.get("skipped", {}).items():
        out.append(Text(f"{key}: {why}", style="dim"))
    return out


def render_checkup(ck: dict, console: Console, part: str) -> None:
    """part: "verdict" (the panel) or "experiments" (the tables)."""
    if part == "verdict":
        panel = verdict_panel(ck)
        if panel is not None:
            console.print(panel)
        return
    for item in tables(ck):
        console.print(item)
