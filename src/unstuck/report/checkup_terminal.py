"""The checkup part of the terminal report: a compact verdict panel, then one table per
experiment. It renders `report.checkup` (the JSON contract) and judges nothing."""
from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

VERDICT_STYLE = {"bug": "red", "data": "red", "capacity": "yellow", "optimisation": "yellow", "healthy": "green",
                 "inconclusive": "dim"}


def _n(x, fmt: str = ".3g") -> str:
    return "-" if x is None else format(x, fmt)


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
    init = ck.get("loss_at_init")
    if init:
        out.append(Text(f"Loss at initialisation: {_n(init.get('value'))} (expected about {_n(init.get('expected'))}: "
                        f"{init.get('what', '')})"))
    ladder = ck.get("overfit")
    if ladder:
        t = Table(title="Overfit ladder (from the initial weights)", title_justify="left")
        others = sorted({r["other_optimizer"] for r in ladder if r.get("other_optimizer")})
        for col in ("samples", "steps", "loss start", "loss end", "fit", "inputs zeroed",
                    "with " + (others[0] if len(others) == 1 else "another optimizer")):
            t.add_column(col, justify="right")
        for r in ladder:
            other = _n(r.get("other_loss_end")) if r.get("other_optimizer") else "-"
            t.add_row(str(r["samples"]), str(r.get("steps")), _n(r.get("loss_start")), _n(r.get("loss_end")),
                      _n(r.get("fit"), ".0%") if r.get("fit") is not None else "-", _n(r.get("loss_zeroed")), other)
        out.append(t)
    if ck.get("baselines"):
        t = Table(title="Baselines, cross-validated (higher is better)", title_justify="left")
        t.add_column("model")
        t.add_column("score", justify="right")
        for b in ck["baselines"]:
            t.add_row(b["name"], f"{b['metric']} {_n(b.get('score'))} ± {_n(b.get('std'), '.2g')}")
        net = ck.get("network")
        if net:
            t.add_row(Text(f"network ({net.get('optimizer')})", style="bold"), f"{net['metric']} {_n(net.get('score'))}")
            if net.get("best_optimizer") and net.get("best_optimizer") != net.get("optimizer"):
                t.add_row(Text(f"network ({net['best_optimizer']})", style="bold"),
                          f"{net['metric']} {_n(net.get('best_score'))}")
        out.append(t)
    ii = ck.get("input_independent")
    if ii:
        out.append(Text(f"Input-independent baseline: held-out loss {_n(ii.get('loss_real'))} with the real inputs, "
                        f"{_n(ii.get('loss_zeroed'))} with every input zeroed."))
    lr = ck.get("lr_range")
    if lr:
        sug = f"suggested lr {_n(lr.get('suggestion'), '.2g')}" if lr.get("suggestion") else "no suggestion"
        out.append(Text(f"Learning-rate range test ({lr.get('optimizer')}, {len(lr.get('lrs', []))} steps): {sug} "
                        f"— {lr.get('why', '')}"))
    if ck.get("optimizers"):
        t = Table(title="Optimizer comparison (same initial weights and budget)", title_justify="left")
        for col in ("optimizer", "lr", "final training loss"):
            t.add_column(col, justify="right" if col != "optimizer" else "left")
        for o in ck["optimizers"]:
            t.add_row(o["name"], _n(o.get("lr"), ".2g"), _n(o.get("final_loss")))
        out.append(t)
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
