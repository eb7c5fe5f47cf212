"""How every view lays findings out: each root cause numbered, and the findings that follow
from it (`caused_by`) folded under it, "because of 1". The terminal, the HTML page and the
past-run views (`unstuck show`, `unstuck compare`) share this layout; it reads the links that
`diagnose.rank` made and decides nothing."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from unstuck.reportdata import root_positions

T = TypeVar("T")


@dataclass
class Folded(Generic[T]):
    """A numbered root cause and the findings that follow from it, each with the numbers of
    every root it follows from."""

    number: int
    root: T
    consequences: list[tuple[tuple[int, ...], T]] = field(default_factory=list)


def fold(findings: Sequence[T], cause: Callable[[T], str],
         caused_by: Callable[[T], Sequence[str]]) -> list[Folded[T]]:
    """The diagnosis (no `info` findings), ranked root causes first, as numbered groups. A
    consequence sits under the first root it follows from; one whose roots are missing (a
    report filtered by hand) is shown as a root of its own rather than dropped."""
    causes = [cause(f) for f in findings]
    links = [tuple(caused_by(f) or ()) for f in findings]
    groups: list[Folded[T]] = []
    by_position: dict[int, Folded[T]] = {}
    pending: list[tuple[list[int], T]] = []
    for i, f in enumerate(findings):
        roots = root_positions(causes, links, links[i]) if links[i] else []
        if roots:
            pending.append((roots, f))
        else:
            by_position[i] = Folded(len(groups) + 1, f)
            groups.append(by_position[i])
    for roots, f in pending:
        numbers = tuple(by_position[r].number for r in roots)
        by_position[roots[0]].consequences.append((numbers, f))
    return groups


def fold_findings(findings) -> list[Folded]:
    """`fold` over Finding objects."""
    return fold(findings, lambda f: f.cause, lambda f: f.caused_by)


def fold_dicts(findings: list[dict]) -> list[Folded[dict]]:
    """`fold` over the JSON report's finding objects, `info` findings left out."""
    return fold([f for f in findings if f.get("severity") != "info"],
                lambda f: f.get("cause", ""), lambda f: f.get("caused_by") or ())


def because(numbers: Sequence[int]) -> str:
    return "because of " + ", ".join(map(str, numbers))
