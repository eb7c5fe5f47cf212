"""Renderers: they read a Report (and nothing else) and never judge."""
from __future__ import annotations


def emit(report, *, json_path=None, quiet=False, console=None, verbose=False) -> None:
    """Write the JSON report when asked and print the terminal report unless quiet (`verbose`:
    with the rules that could not judge the run)."""
    if json_path:
        from unstuck.report.json import write
        write(report, json_path)
    if not quiet:
        from unstuck.report.terminal import render
        render(report, console, verbose=verbose)
