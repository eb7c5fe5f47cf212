"""A one-line live status on the terminal while the script trains: steps watched and the
findings so far.

The line lives on the terminal's last row, outside a scroll region that holds everything
else (the way apt draws its progress bar), so the script's own output scrolls above it and
never mixes with it; nothing of the script's is redirected. It is only drawn when stderr
is a terminal, and it is an observer of the session (observe.hub) whose only per-step cost
is a clock read in its on_step event.
"""
from __future__ import annotations

import copy
import dataclasses
import logging
import os
import shutil
import time

from unstuck.observe.hub import Observer

log = logging.getLogger(__name__)

REDRAW_EVERY_S = 0.5  # at most this often the line is redrawn
DIAGNOSE_EVERY_S = 3.0  # at most this often the rules run on the trace so far
MIN_ROWS = 5  # smaller terminals get no status line


class LiveStatus(Observer):
    def __init__(self, stream, rows: int, cols: int, select=None, ignore=None) -> None:
        self.stream = stream
        self.rows, self.cols = rows, cols
        self.select, self.ignore = select, ignore
        self.session = None
        self.drawn_at = 0.0
        self.diagnosed_at = 0.0
        self.found: list[str] = []

    @classmethod
    def for_terminal(cls, stream, select=None, ignore=None) -> LiveStatus | None:
        """A status line for `stream`, or None when it is not an interactive terminal."""
        try:
            if not stream.isatty() or os.environ.get("TERM", "dumb") == "dumb":
                return None
            size = os.get_terminal_size(stream.fileno())
        except (AttributeError, OSError, ValueError):
            return None
        if size.lines < MIN_ROWS:
            return None
        return cls(stream, size.lines, size.columns or shutil.get_terminal_size().columns, select, ignore)

    # ------------------------------------------------------------ observer protocol
    def install(self, session) -> None:
        self.session = session
        # make room, keep the last row out of the scroll region, go back where we were
        self._write(f"\n\x1b7\x1b[1;{self.rows - 1}r\x1b8\x1b[1A")
        self._draw()

    def uninstall(self) -> None:
        self._write(f"\x1b7\x1b[r\x1b[{self.rows};1H\x1b[2K\x1b8")

    # ------------------------------------------------------------ drawing
    def on_step(self, opt) -> None:
        now = time.monotonic()
        if now - self.drawn_at < REDRAW_EVERY_S:
            return
        self.drawn_at = now
        if now - self.diagnosed_at >= DIAGNOSE_EVERY_S:
            self.diagnosed_at = now
            found = self.session.guard("live status", self._diagnose_so_far)
            if found is not None:
                self.found = found
        self.session.guard("live status", self._draw)

    def text(self) -> str:
        steps = self.session.trace.ticks if self.session else 0
        found = f"{len(self.found)} finding(s) so far" + (f": {', '.join(self.found[:3])}" if self.found else "")
        return f"unstuck: watching, {steps} training step(s), {found}"

    def _draw(self) -> None:
        line = self.text()[: max(1, self.cols - 1)]
        self._write(f"\x1b7\x1b[{self.rows};1H\x1b[2K\x1b[2m{line}\x1b[0m\x1b8")

    def _diagnose_so_far(self) -> list[str]:
        """The root causes the rules find on the trace so far (as at the end, with the
        optimizers' step counts brought up to date)."""
        from unstuck.diagnose import rank, run_rules
        from unstuck.rules import select

        trace = copy.copy(self.session.trace)
        steps = {st.key: st.steps for st in self.session.opts.values()}
        trace.optimizers = {k: dataclasses.replace(r, steps=steps.get(k, r.steps))
                            for k, r in trace.optimizers.items()}
        rules = select(self.select, self.ignore)
        findings, _ = run_rules(trace, rules)
        ranked = rank(findings)
        return [f.cause for f in ranked if f.severity.value != "info" and not f.caused_by]

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            log.debug("live status: cannot write to the terminal", exc_info=True)
