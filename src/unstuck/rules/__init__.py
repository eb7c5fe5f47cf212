"""The rule registry. Each family module registers its rules on import."""
from __future__ import annotations

from unstuck.rules import (checkup, data, distributed, gradient_flow, health, layout, learning_rate,  # noqa: F401
                           losses, modes, numerics, optimizer_use, shapes, symptoms)
from unstuck.rules.base import REGISTRY, Rule


def all_rules() -> list[Rule]:
    return sorted(REGISTRY.values(), key=lambda r: r.code)


def lookup(key: str) -> list[Rule]:
    """Rules matching a code, a code prefix (`GF`, `GF00`) or a cause slug."""
    key = key.strip()
    return [r for r in all_rules() if r.code.upper().startswith(key.upper()) or r.cause == key]


def select(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    chosen = all_rules()
    if select:
        wanted = {r.code for key in select for r in lookup(key)}
        chosen = [r for r in chosen if r.code in wanted]
    if ignore:
        dropped = {r.code for key in ignore for r in lookup(key)}
        chosen = [r for r in chosen if r.code not in dropped]
    return chosen
