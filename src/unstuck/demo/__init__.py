"""`unstuck demo`: the broadcasting bug diagnosed, then the fixed version learning."""
from __future__ import annotations

import os
import time

from rich.console import Console
from rich.table import Table

HERE = os.path.dirname(os.path.abspath(__file__))


def _learning(trace):
    """(first, last) loss value and prediction spread of the training loss calls."""
    calls = [c for c in trace.losses if c.training and c.value is not None]
    if not calls:
        return None
    return calls[0], calls[-1]


def run_demo(json_path: str | None = None) -> int:
    from unstuck.api import observe_and_diagnose
    from unstuck.report import emit

    console = Console(stderr=True, highlight=False)
    broken = os.path.join(HERE, "broken.py")
    fixed = os.path.join(HERE, "fixed.py")
    console.rule("[bold]1. The bug: `unstuck run broken.py`")
    console.print(open(broken).read(), markup=False, highlight=False)
    start = time.monotonic()
    report, broken_trace = observe_and_diagnose(broken, [])
    emit(report, json_path=json_path, console=console)
    console.print(f"[dim](diagnosed in {time.monotonic() - start:.1f} s)[/dim]")

    console.rule("[bold]2. The fix: `mse_loss(pred.squeeze(-1), y)`, then the same training")
    fixed_report, fixed_trace = observe_and_diagnose(fixed, [])
    emit(fixed_report, console=console)
    table = Table(title="Training, before and after the fix")
    for col in ("version", "loss at start", "loss at end", "prediction spread / target spread at end"):
        table.add_column(col)
    for name, trace in (("broken: [N,1] vs [N]", broken_trace), ("fixed: [N] vs [N]", fixed_trace)):
        pair = _learning(trace)
        if pair is None:
            continue
        first, last = pair
        spread = f"{last.pred_std / last.target_std:.3f}" if last.pred_std is not None and last.target_std else "-"
        table.add_row(name, f"{first.value:.3f}", f"{last.value:.3f}", spread)
    console.print(table)
    if fixed_report.exit_status() == 0:
        console.print("The fixed version learns: its loss falls far below the label variance and its "
                      "predictions spread like the targets.")
        return 0
    console.print("[red]The fixed version still has findings.[/red]")
    return 1
