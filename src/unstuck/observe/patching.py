"""Reversible attribute patches, restored in reverse order."""
from __future__ import annotations

_ABSENT = object()


class Patches:
    def __init__(self) -> None:
        self._saved: list[tuple[object, str, object]] = []

    def patch(self, owner: object, name: str, replacement: object) -> None:
        # For a class, remember only what it defines itself, so an inherited attribute is
        # restored by deleting the override rather than by copying the parent's down.
        if isinstance(owner, type):
            original = owner.__dict__.get(name, _ABSENT)
        else:
            original = getattr(owner, name)
        self._saved.append((owner, name, original))
        setattr(owner, name, replacement)

    def restore(self) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            if original is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
