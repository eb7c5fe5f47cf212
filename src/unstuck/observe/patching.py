"""Reversible attribute patches, restored in reverse order."""
from __future__ import annotations


class Patches:
    def __init__(self) -> None:
        self._saved: list[tuple[object, str, object]] = []

    def patch(self, owner: object, name: str, replacement: object) -> object:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        self._saved.append((owner, name, original))
        setattr(owner, name, replacement)
        return getattr(owner, name) if not isinstance(owner, type) else original

    def restore(self) -> None:
        while self._saved:
            owner, name, original = self._saved.pop()
            setattr(owner, name, original)
