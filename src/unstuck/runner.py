"""Run a user's script as `python SCRIPT ARGS...` would, under observation."""
from __future__ import annotations

import os
import sys
import types
import traceback
from dataclasses import dataclass

from unstuck.observe.sampling import PROFILES
from unstuck.observe.session import Session, StopTraining
from unstuck.trace import Trace

_HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class ScriptResult:
    trace: Trace
    status: int | None  # None: finished normally (or stopped by --max-steps)
    error: str | None  # one line describing how the script failed
    tool_errors: list


def _print_user_traceback(exc: BaseException) -> None:
    """Print the traceback as Python would, without unstuck's and runpy's frames on top."""
    tb = exc.__traceback__
    while tb is not None and (tb.tb_frame.f_code.co_filename.startswith(_HERE)
                              or "runpy" in os.path.basename(tb.tb_frame.f_code.co_filename)):
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb, file=sys.stderr)


def _exec_as_main(path: str) -> None:
    """Execute the file as `python path` would: a fresh `__main__` module, __file__ absolute,
    sys.argv left as the caller set it."""
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def run_script(script: str, args: list[str], *, max_steps: int | None = None, profile: str = "default",
               probes: bool = True, observers=()) -> ScriptResult:
    path = os.path.abspath(script)
    session = Session(script, sampling=PROFILES[profile], max_steps=max_steps, probes=probes,
                      observers=observers)
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    sys.argv = [script, *args]
    if sys.path:
        sys.path[0] = os.path.dirname(path)
    else:
        sys.path.insert(0, os.path.dirname(path))
    status: int | None = None
    error: str | None = None
    session.start()
    try:
        _exec_as_main(path)
    except StopTraining:
        pass
    except SystemExit as exc:
        code = exc.code
        if code is None or code == 0:
            status = None
        elif isinstance(code, int):
            status, error = code, f"the script exited with status {code}"
        else:
            print(code, file=sys.stderr)
            status, error = 1, f"the script exited: {code}"
    except KeyboardInterrupt as exc:
        _print_user_traceback(exc)
        status, error = 130, "interrupted (KeyboardInterrupt)"
    except BaseException as exc:  # noqa: BLE001 - the user's own exception, shown as Python would
        _print_user_traceback(exc)
        status, error = 1, f"{type(exc).__name__}: {exc}"
    finally:
        trace = session.stop()
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0
    return ScriptResult(trace=trace, status=status, error=error, tool_errors=list(session.errors.values()))
