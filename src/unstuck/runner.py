"""Run a user's program as `python SCRIPT ARGS...` (or `python -m MODULE ARGS...`) would,
under observation.

Parity with `python`: a fresh `__main__` module whose `__builtins__` is the builtins module,
`__file__`/`__loader__`/`__cached__`/`__spec__`/`__package__` as CPython sets them, `sys.path[0]`
the script's symlink-resolved folder, directories and zip files run by their `__main__.py` and
`-m` modules through `runpy` (as CPython itself does), non-daemon threads joined before the
report as at interpreter exit, and SIGTERM writing the report before the process dies of the
signal. `os._exit` ends the process at once: the one way a script can end without a report.

Nothing is observed, and torch is not imported, until the script imports torch.
"""
from __future__ import annotations

import builtins
import importlib.machinery
import logging
import os
import runpy
import signal
import sys
import threading
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass

from unstuck.observe.sampling import PROFILES
from unstuck.trace import Trace

log = logging.getLogger(__name__)

_HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class ScriptResult:
    trace: Trace
    status: int | None  # None: finished normally (or stopped by --max-steps)
    error: str | None  # one line describing how the script failed
    tool_errors: list


def _is_tool_frame(frame: traceback.FrameSummary) -> bool:
    callsite = sys.modules.get("unstuck.observe.callsite")  # its trampolines exist only once imported
    return (frame.filename.startswith(_HERE) or os.path.basename(frame.filename) == "runpy.py"
            or (callsite is not None and frame.name == callsite.TRAMPOLINE_NAME))


def _without_tool_frames(te: traceback.TracebackException) -> traceback.TracebackException:
    kept: list[traceback.FrameSummary] = []
    for f in te.stack:
        if not _is_tool_frame(f):
            kept.append(f)
        elif len(kept) >= 2 and kept[-1].name == "handle_torch_function":
            # A torch function written in Python dispatched to the op tracer, which called it
            # again: drop the first call and torch's dispatcher, as if the tracer were absent.
            del kept[-2:]
    te.stack = traceback.StackSummary.from_list(kept)
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _without_tool_frames(chained)
    return te


def _print_user_traceback(exc: BaseException) -> None:
    """Print the traceback as Python would, without unstuck's and runpy's frames."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    sys.stderr.write("".join(_without_tool_frames(te).format()))


def _fresh_main() -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    return main


def _exec_script(path: str) -> None:
    """`python path` for a source file: __file__ absolute, __cached__ and __spec__ None,
    a SourceFileLoader named `__main__`, sys.argv left as the caller set it."""
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    main = sys.modules["__main__"]
    main.__file__ = path
    main.__cached__ = None
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
    main.__spec__ = None
    main.__package__ = None
    exec(code, main.__dict__)


def _target(script: str, module: bool) -> tuple[Callable[[], None], str, list[str]]:
    """What to run, sys.path[0] for it, and sys.argv[0]; as CPython's main does."""
    if module:  # python -m: the current folder first; runpy sets argv[0] to the module's file
        return (lambda: runpy._run_module_as_main(script, alter_argv=True)), os.getcwd(), script
    path = os.path.abspath(script)
    if os.path.isdir(path) or not path.endswith((".py", ".pyw")) and _is_zip(path):
        # A folder or zip file with __main__.py: it goes first on sys.path and runpy runs
        # its __main__ module in the real __main__ namespace.
        return (lambda: runpy._run_module_as_main("__main__", alter_argv=False)), path, script
    return (lambda: _exec_script(path)), os.path.dirname(os.path.realpath(path)), script


def _is_zip(path: str) -> bool:
    import zipfile
    return os.path.isfile(path) and zipfile.is_zipfile(path)


def _join_threads() -> None:
    """Wait for the script's non-daemon threads, as the interpreter does at exit
    (`threading._shutdown`), so their training is in the report."""
    me = threading.current_thread()
    while True:
        pending = [t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()
                   and t is not threading.main_thread()]
        if not pending:
            return
        for t in pending:
            t.join()


class _OnTorchImport:
    """A meta-path finder that calls `callback` once torch has finished importing: a script
    that never imports torch pays neither the import nor any hook."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback

    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module
        hook = self

        def exec_module(module):
            del loader.exec_module  # the loader is torch's own again
            hook.remove()
            original(module)
            hook.callback()

        loader.exec_module = exec_module
        return spec

    def install(self) -> None:
        sys.meta_path.insert(0, self)

    def remove(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


class _Watch:
    """Starts the session when torch is (or gets) imported; turns SIGTERM into a report."""

    def __init__(self, script: str, max_steps, profile: str, probes: bool, observers) -> None:
        self.args = dict(sampling=PROFILES[profile], max_steps=max_steps, probes=probes, observers=observers)
        self.script = script
        self.session = None
        self.hook: _OnTorchImport | None = None

    def begin(self) -> None:
        if "torch" in sys.modules:
            self.start()
        else:
            self.hook = _OnTorchImport(self.start)
            self.hook.install()

    def start(self) -> None:
        from unstuck.observe.hub import Later
        from unstuck.observe.session import Session
        observers = [o() if isinstance(o, Later) else o for o in self.args["observers"]]
        self.session = Session(self.script, **{**self.args, "observers": observers})
        self.session.start()

    def stop(self) -> tuple[Trace, list]:
        if self.hook is not None:
            self.hook.remove()
        if self.session is None:
            return Trace(script=self.script), []
        return self.session.stop(), list(self.session.errors.values())

    @property
    def stop_exception(self):
        from unstuck.observe.session import StopTraining
        return StopTraining if self.session is not None else ()


def run_script(script: str, args: list[str], *, module: bool = False, max_steps: int | None = None,
               profile: str = "default", probes: bool = True, observers=(),
               on_terminate: Callable[[ScriptResult], None] | None = None) -> ScriptResult:
    """Run `script` (a file, a folder or zip with `__main__.py`, or with `module=True` a module
    name) under observation. `on_terminate` is called with the result when SIGTERM arrives,
    before the process dies of the signal as it would without unstuck."""
    watch = _Watch(script, max_steps, profile, probes, observers)
    run, path0, argv0 = _target(script, module)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    saved_main = sys.modules.get("__main__")
    sys.argv = [argv0, *args]
    if sys.path:
        sys.path[0] = path0
    else:
        sys.path.insert(0, path0)
    sys.modules["__main__"] = _fresh_main()
    status: int | None = None
    error: str | None = None
    previous_term = _install_sigterm(watch, on_terminate)
    watch.begin()
    try:
        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - sorted here, shown as Python would
            status, error = _ending(exc, watch.stop_exception)
        _join_threads()  # as at interpreter exit: after the traceback, before the report
    finally:
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
        trace, tool_errors = watch.stop()
        sys.argv = saved_argv
        sys.path[:] = saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
    return ScriptResult(trace=trace, status=status, error=error, tool_errors=tool_errors)


def _ending(exc: BaseException, stop_exception) -> tuple[int | None, str | None]:
    """Exit status and one-line description of how the script ended, as `python` would."""
    if stop_exception and isinstance(exc, stop_exception):
        return None, None
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None or code == 0:
            return None, None
        if isinstance(code, int):
            return code, f"the script exited with status {code}"
        print(code, file=sys.stderr)
        return 1, f"the script exited: {code}"
    _print_user_traceback(exc)
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted (KeyboardInterrupt)"
    return 1, f"{type(exc).__name__}: {exc}"


def _install_sigterm(watch: _Watch, on_terminate):
    """SIGTERM (what schedulers send) kills a plain Python process at once. Under unstuck the
    report is written first, then the signal is delivered again with its default action, so
    the process still dies of SIGTERM (status 143 in a shell). A handler the script installs
    replaces this one, as it would replace the default."""
    if on_terminate is None or threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None

    def on_sigterm(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            trace, tool_errors = watch.stop()
            on_terminate(ScriptResult(trace=trace, status=128 + signum, error="terminated (SIGTERM)",
                                      tool_errors=tool_errors))
        except Exception:  # noqa: BLE001 - dying of the signal matters more than the report
            log.debug("report on SIGTERM failed", exc_info=True)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGTERM)

    return signal.signal(signal.SIGTERM, on_sigterm)
