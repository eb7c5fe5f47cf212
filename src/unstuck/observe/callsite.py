"""Whose code a frame is, and the user's own source line.

One predicate decides "is this the user's code?" for the whole tool (`owner`):
- TOOL: the machinery between the user and the math (torch, unstuck itself, runpy and the
  interpreter's frozen modules): never a location to report, always walked through;
- LIBRARY: code the user imports but did not write (site-packages, dist-packages, the standard
  library: Lightning, transformers, timm, contextlib): reported only when no frame of the user's
  own is on the stack (a model built entirely inside a library);
- USER: everything else (the script, its own modules, a notebook cell, `exec`'d code, the
  bundled demo scripts).
"""
from __future__ import annotations

import functools
import linecache
import os
import sys
import sysconfig
import types

import torch

from unstuck.trace import Location

TOOL, LIBRARY, USER = "tool", "library", "user"

_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep  # with the separator: not torchvision, torchaudio
_UNSTUCK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_DEMO_DIR = os.path.join(_UNSTUCK_DIR, "demo") + os.sep  # the bundled demo scripts are user code
_TOOL_PREFIXES = (_TORCH_DIR, _UNSTUCK_DIR, os.path.join(os.path.dirname(os.__file__), "runpy.py"), "<frozen")
_STDLIB = tuple({os.path.join(p, "") for p in (sysconfig.get_paths().get("stdlib"),
                                               sysconfig.get_paths().get("platstdlib")) if p})
_PACKAGE_DIRS = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)
_ROOT = os.getcwd()


@functools.lru_cache(maxsize=8192)
def owner(filename: str) -> str:
    """TOOL, LIBRARY or USER: whose code `filename` (a code object's co_filename) is."""
    if filename.startswith(_DEMO_DIR):
        return USER
    if filename.startswith(_TOOL_PREFIXES):
        return TOOL
    if any(d in filename for d in _PACKAGE_DIRS) or filename.startswith(_STDLIB):
        return LIBRARY
    return USER


def is_tool(filename: str) -> bool:
    """torch's or unstuck's own machinery: walked through, never reported."""
    return owner(filename) == TOOL


def is_user(filename: str) -> bool:
    """The user's own code (not the tool's, not a library's)."""
    return owner(filename) == USER


def user_frame(skip: int = 1, frame=None):
    """The innermost frame of the user's own code; else the innermost library frame (the
    training runs entirely inside Lightning, say); else None. Trampolines are skipped."""
    frame = frame if frame is not None else sys._getframe(skip)
    fallback = None
    while frame is not None:
        if not _trampoline(frame):
            kind = owner(frame.f_code.co_filename)
            if kind == USER:
                return frame
            if kind == LIBRARY and fallback is None:
                fallback = frame
        frame = frame.f_back
    return fallback


def _trampoline(frame) -> bool:
    """A `call_as` trampoline: it carries the caller's file and line, the caller is above it."""
    return frame.f_code.co_name == TRAMPOLINE_NAME


def user_site(skip: int = 1) -> Location | None:
    """Location of the frame `user_frame` picks."""
    frame = user_frame(skip + 1)
    return _location(frame) if frame is not None else None


def shown_path(filename: str) -> str:
    """A file as reports show it: relative to the working folder when it is inside it."""
    try:
        rel = os.path.relpath(filename, _ROOT)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def real_path(shown: str) -> str:
    """The file a shown path names."""
    return shown if os.path.isabs(shown) else os.path.join(_ROOT, shown)


# (code object, file, line) -> Location: a watched step asks for a few. Code objects compare
# equal by their contents, whatever file they were compiled from: the file is part of the key.
_locations: dict[tuple, Location] = {}
MAX_LOCATIONS = 4096


def _location(frame) -> Location:
    key = (frame.f_code, frame.f_code.co_filename, frame.f_lineno)
    found = _locations.get(key)
    if found is None:
        if len(_locations) >= MAX_LOCATIONS:
            _locations.clear()
        found = _locations[key] = _new_location(frame)
    return found


def _new_location(frame) -> Location:
    filename = frame.f_code.co_filename
    line = frame.f_lineno
    code = linecache.getline(filename, line).strip()
    return Location(file=shown_path(filename), line=line, function=frame.f_code.co_name, code=code)


# A call made from the op tracer's `__torch_function__` would have the tracer as its innermost
# Python frame, so torch's warnings (C++ `TORCH_WARN`, or `warnings.warn(stacklevel=2)` in a
# torch function) would name unstuck's file and line, and share its once-per-location
# registry. `call_as` makes the call from a one-line trampoline whose code carries the calling
# frame's file, line and name and runs in the caller's globals: a warning then appears where,
# and as often as, it would without unstuck. Trampolines are cached per call site.
TRAMPOLINE_NAME = "__unstuck_call__"
_TEMPLATE = compile(f"def {TRAMPOLINE_NAME}(f, a, k): return f(*a, **k)", "<unstuck>", "exec").co_consts[0]
_trampolines: dict[tuple, object] = {}
MAX_TRAMPOLINES = 4096


_DISPATCHER = torch.overrides.handle_torch_function.__code__


def caller_of(func, frame):
    """The frame that called `func`, given the frame that called a mode's __torch_function__:
    for a torch function written in Python (F.mse_loss, Tensor.__rsub__) that is the frame
    above the function's own, not torch's dispatcher."""
    if frame.f_code is not _DISPATCHER:
        return frame
    code = getattr(func, "__code__", None)
    probe = frame
    while probe is not None and probe.f_code is not code:
        probe = probe.f_back
    return probe.f_back if probe is not None and probe.f_back is not None else frame


def call_as(caller, func, args, kwargs):
    """`func(*args, **kwargs)`, called from a frame that looks like `caller`."""
    code = caller.f_code
    key = (code, code.co_filename, caller.f_lineno)  # equal code from another file: another trampoline
    fn = _trampolines.get(key)
    if fn is None:
        if len(_trampolines) >= MAX_TRAMPOLINES:
            _trampolines.clear()
        lineno = caller.f_lineno or code.co_firstlineno
        tcode = _TEMPLATE.replace(co_filename=code.co_filename, co_firstlineno=lineno)
        fn = _trampolines[key] = types.FunctionType(tcode, caller.f_globals, TRAMPOLINE_NAME)
    return fn(func, args, kwargs)
