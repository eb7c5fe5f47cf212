"""Freezing by attribute assignment, found in the user's source after the run.

`p.requires_grad = False` (and `setattr(p, "requires_grad", False)`) sets a C-level attribute
of the tensor: no Python function runs that could be wrapped, unlike `requires_grad_(False)`
(see `observe.sites`). Seeing the assignment while it happens would take a Python
`__setattr__` or property on `nn.Parameter`, which every `p.grad = None` of `zero_grad()`, every
`p.requires_grad` read and torch.compile's tracing would then go through, for every parameter
at every step. Instead, once the run is over and only when some watched parameter is frozen,
the user's own source files are read with `ast` for such assignments: nothing is paid while
the script runs, and the run is not touched at all. The assignments found are facts about the
code (where a freeze is written), not proof that this line froze these parameters; the rules
weigh them against the `requires_grad_(False)` calls seen at run time.
"""
from __future__ import annotations

import ast
import linecache
import os
import sys

from unstuck.observe.callsite import is_user, shown_path
from unstuck.trace import FreezeCall, Location

MAX_FILES = 200  # user source files read at most
MAX_FILE_BYTES = 2_000_000  # larger files are skipped (generated code, data)
MAX_ASSIGNMENTS = 20  # assignments kept at most

def is_user_file(path: str) -> bool:
    return path.endswith(".py") and is_user(path)


def user_source_files(first: list[str]) -> list[str]:
    """`first` (the script, files of the sites already recorded), then every user module that
    is imported, each once, existing files only."""
    candidates = list(first)
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str):
            candidates.append(path)
    out: list[str] = []
    seen: set[str] = set()
    for path in candidates:
        real = os.path.realpath(path)
        if real in seen or not is_user_file(real) or not os.path.isfile(real):
            continue
        seen.add(real)
        out.append(os.path.abspath(path))
        if len(out) >= MAX_FILES:
            break
    return out


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is not True and node.value in (False, 0)


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []  # (line, enclosing function)
        self.function = ["<module>"]

    def _scoped(self, node) -> None:
        self.function.append(node.name)
        self.generic_visit(node)
        self.function.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _scoped

    def visit_Assign(self, node: ast.Assign) -> None:
        if _is_false(node.value) and any(isinstance(t, ast.Attribute) and t.attr == "requires_grad"
                                         for t in node.targets):
            self.found.append((node.lineno, self.function[-1]))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (isinstance(node.func, ast.Name) and node.func.id == "setattr" and len(node.args) == 3
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "requires_grad"
                and _is_false(node.args[2])):
            self.found.append((node.lineno, self.function[-1]))
        self.generic_visit(node)


def freeze_assignments(path: str) -> list[FreezeCall]:
    """Every `X.requires_grad = False` (or `setattr(X, "requires_grad", False)`) in one file."""
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            return []
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    finder = _Finder()
    finder.visit(tree)
    shown = shown_path(path)
    return [FreezeCall(tick=-1, site=Location(shown, line, function, linecache.getline(path, line).strip()),
                       elems=0, how="assignment") for line, function in finder.found]


def find_freeze_assignments(first: list[str]) -> list[FreezeCall]:
    """The freezing assignments in the user's source files (`first` first), at most
    MAX_ASSIGNMENTS."""
    found: list[FreezeCall] = []
    for path in user_source_files(first):
        found += freeze_assignments(path)
        if len(found) >= MAX_ASSIGNMENTS:
            break
    return found[:MAX_ASSIGNMENTS]
