"""What a checkup experiment is: one unit, one module.

Each experiment module under `unstuck/checkup/` defines its result type (a dataclass with
`to_json`), the measurement itself, and one `Experiment` subclass instance (`UNIT`) that says
how the checkup runs, stores and shows it:

- `key`: its field on `CheckupResults`, its key in the JSON `checkup` object (the report
  contract), in `skipped` and in `timings`;
- `share`: the most of the budget it may use (None: no deadline of its own, a quick
  measurement); `gated`: skipped once the whole budget is spent;
- `prepare(ctx)`: why it cannot run (recorded in `skipped`), None when it can, or `FOLLOWS`
  when it needs what an earlier experiment could not provide (that one's reason is recorded);
- `run(ctx, deadline) -> result`: trains copies (`ctx.problem.fresh()`), never the user's;
- `store(results, value)`, `to_json(value)`: its field on `CheckupResults` and its JSON form;
- rendering hooks, on the JSON form (what the renderers get): `terminal(ck)` -> rich
  renderables, `html_rows(ck)` -> rows of the page's checkup summary table, `html_table(ck)`
  -> its own table on the page, `panel` -> the name of its chart in `report/html.py` `PANELS`.

The registry (`checkup/results.py` `EXPERIMENTS`) lists the units in the order they run;
`checkup/experiments.py` runs them in that order and the renderers show them in that order.
The rules in `rules/checkup.py` judge the stored results; nothing here judges.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # (results.py imports this module: CheckupResults is not imported here)
    from unstuck.checkup.problem import Deadline, Problem

FOLLOWS = ""  # prepare(): not run, because an earlier experiment did not run (its reason is recorded)


def num(x):
    """A float for the JSON report: 6 significant digits, None for NaN and infinities."""
    if x is None:
        return None
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return None
    return float(f"{x:.6g}")


def fmt(x, spec: str = ".3g") -> str:
    """A number for the terminal report: '-' when there is none."""
    return "-" if x is None else format(x, spec)


@dataclass
class Context:
    """What the experiments of one checkup share."""

    problem: Problem
    results: Any  # the CheckupResults being filled (checkup/results.py)
    total: Deadline  # the whole budget
    budget: float | None
    bar: Callable[[str, int], Callable[[], None] | None] = lambda title, total: None  # a progress bar's advance
    # the baselines' cross-validation folds, reused by the network and the input-independent baseline
    splits: list | None = None
    prepared: dict[str, Any] = field(default_factory=dict)  # key -> what prepare() left for run()


@dataclass
class HtmlTable:
    """An experiment's table on the HTML page: cells are numbers (formatted there) or text;
    a row marked strong has its first cell in bold."""

    title: str
    header: list[str]
    rows: list[tuple[list, bool]]


class Experiment(ABC):
    key: str = ""
    share: float | None = None
    gated: bool = True
    panel: str | None = None

    def prepare(self, ctx: Context) -> str | None:
        return None

    @abstractmethod
    def run(self, ctx: Context, deadline: Deadline | None):
        """The measurement, on copies (`ctx.problem.fresh()`); its result type is the module's own."""

    def empty(self):
        """The stored value when it did not run or failed."""
        return None

    def store(self, results, value) -> None:
        setattr(results, self.key, self.empty() if value is None else value)

    def to_json(self, value):
        return [v.to_json() for v in value] if isinstance(value, list) else value.to_json()

    def terminal(self, ck: dict) -> list:
        return []

    def html_rows(self, ck: dict) -> list[tuple[str, list]]:
        """(heading, parts) rows of the summary table: parts are numbers or text."""
        return []

    def html_table(self, ck: dict) -> HtmlTable | None:
        return None
