"""Find the user's own source line: the first stack frame outside torch, unstuck and
the interpreter's machinery."""
from __future__ import annotations

import linecache
import os
import sys

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
    while frame is not None and is_library(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def user_site(skip: int = 1) -> Location | None:
    """Location of the innermost frame that belongs to the user's code."""
    frame = sys._getframe(skip)
    fallback = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not is_library(filename):
            if "site-packages" not in filename and "dist-packages" not in filename:
                return _location(frame)
            fallback = fallback or frame
        frame = frame.f_back
    return _location(fallback) if fallback is not None else None


def _location(frame) -> Location:
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
