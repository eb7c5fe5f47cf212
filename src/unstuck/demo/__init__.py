"""`unstuck demo`: the broadcasting bug diagnosed, then the fixed version learning."""
from __future__ import annotations

import os
import time

import torch
from rich.console import Console
from rich.table import Table

from unstuck.observe.patching import Patches

HERE = os.path.dirname(os.path.abspath(__file__))


class LossLog:
    """An extra observer for the demo: the value of every loss that is backpropagated, so the
    table quotes the first and the real last loss (detailed records cover sampled steps only)."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.patches = Patches()

    def install(self, session) -> None:
        original = torch.Tensor.backward
        log = self

        def backward(tensor, *args, **kwargs):
            if tensor.numel() == 1:
                session.guard("demo loss log", lambda: log.values.append(float(tensor.detach())))
            return original(tensor, *args, **kwargs)

        self.patches.patch(torch.Tensor, "backward", backward)

    def uninstall(self) -> None:
        self.patches.restore()


def _last_spread(trace) -> str:
    """Prediction spread over target spread at the last sampled training loss call."""
    calls = [c for c in trace.losses if c.training and c.pred_std is not None and c.target_std]
    return f"{calls[-1].pred_std / calls[-1].target_std:.3f}" if calls else "-"


def run_demo(json_path: str | None = None) -> int:
    from unstuck.api import observe_and_diagnose
    from unstuck.report import emit

    # 80 columns unless a terminal says otherwise: no line of the demo wraps mid-line
    console = Console(stderr=True, highlight=False, width=None if os.isatty(2) else 80)
    broken = os.path.join(HERE, "broken.py")
    fixed = os.path.join(HERE, "fixed.py")
    console.rule("[bold]1. The bug: `unstuck run broken.py`")
    console.print(open(broken).read(), markup=False, highlight=False)
    start = time.monotonic()
    broken_log, fixed_log = LossLog(), LossLog()
    report, broken_trace = observe_and_diagnose(broken, [], observers=[broken_log])
    emit(report, json_path=json_path, console=console)
    console.print(f"[dim](diagnosed in {time.monotonic() - start:.1f} s)[/dim]")

    console.rule("[bold]2. The fix: `mse_loss(pred.squeeze(-1), y)`")
    fixed_report, fixed_trace = observe_and_diagnose(fixed, [], observers=[fixed_log])
    emit(fixed_report, console=console)
    table = Table(title="Training, before and after the fix")
    for col in ("version", "first loss", "last loss", "prediction spread / target spread, last sampled step"):
        table.add_column(col)
    for name, trace, log in (("broken: [N,1] vs [N]", broken_trace, broken_log),
                             ("fixed: [N] vs [N]", fixed_trace, fixed_log)):
        if log.values:
            table.add_row(name, f"{log.values[0]:.3f}", f"{log.values[-1]:.3f}", _last_spread(trace))
    console.print(table)
    if fixed_report.exit_status() == 0:
        console.print("The fixed version learns: its loss falls far below the label variance and its "
                      "predictions spread like the targets.")
        return 0
    console.print("[red]The fixed version still has findings.[/red]")
    return 1
