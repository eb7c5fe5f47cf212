"""Find the user's own source line: the first stack frame outside torch, unstuck and
the interpreter's machinery."""
from __future__ import annotations

import linecache
import os
import sys
import types

import torch

from unstuck.trace import Location

_TORCH_DIR = os.path.dirname(torch.__file__)
_UNSTUCK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEMO_DIR = os.path.join(_UNSTUCK_DIR, "demo") + os.sep  # the bundled demo scripts are user code
_SKIP_PREFIXES = (_TORCH_DIR, _UNSTUCK_DIR, os.path.dirname(os.__file__) + os.sep + "runpy")
_ROOT = os.getcwd()


def is_library(filename: str) -> bool:
    if filename.startswith(_DEMO_DIR):
        return False
    return filename.startswith(_SKIP_PREFIXES) or filename.startswith("<frozen")


def user_frame(skip: int = 1):
    """The innermost frame of the user's code, or None."""
    frame = sys._getframe(skip)
    while frame is not None and (is_library(frame.f_code.co_filename) or _trampoline(frame)):
        frame = frame.f_back
    return frame


def _trampoline(frame) -> bool:
    """A `call_as` trampoline: it carries the caller's file and line, the caller is above it."""
    return frame.f_code.co_name == TRAMPOLINE_NAME


def user_site(skip: int = 1) -> Location | None:
    """Location of the innermost frame that belongs to the user's code."""
    frame = sys._getframe(skip)
    fallback = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_library(filename) and not _trampoline(frame):
            if "site-packages" not in filename and "dist-packages" not in filename:
                return _location(frame)
            fallback = fallback or frame
        frame = frame.f_back
    return _location(fallback) if fallback is not None else None


_locations: dict[tuple, Location] = {}  # (code object, line) -> Location: a watched step asks for a few
MAX_LOCATIONS = 4096


def _location(frame) -> Location:
    key = (frame.f_code, frame.f_lineno)
    found = _locations.get(key)
    if found is None:
        if len(_locations) >= MAX_LOCATIONS:
            _locations.clear()
        found = _locations[key] = _new_location(frame)
    return found


def _new_location(frame) -> Location:
    filename = frame.f_code.co_filename
    line = frame.f_lineno
    shown = filename
    try:
        rel = os.path.relpath(filename, _ROOT)
        if not rel.startswith(".."):
            shown = rel
    except ValueError:
        pass
    code = linecache.getline(filename, line).strip()
    return Location(file=shown, line=line, function=frame.f_code.co_name, code=code)


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
    key = (code, caller.f_lineno)
    fn = _trampolines.get(key)
    if fn is None:
        if len(_trampolines) >= MAX_TRAMPOLINES:
            _trampolines.clear()
        lineno = caller.f_lineno or code.co_firstlineno
        tcode = _TEMPLATE.replace(co_filename=code.co_filename, co_firstlineno=lineno)
        fn = _trampolines[key] = types.FunctionType(tcode, caller.f_globals, TRAMPOLINE_NAME)
    return fn(func, args, kwargs)
