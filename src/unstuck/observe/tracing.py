"""Where observation stays out, and how the tool's own work hides from the user's instruments.

- `tracing()`: code that is being compiled, exported, traced or transformed is not observed.
  Every hook and patched function checks it first and passes straight through, so nothing
  of ours is captured into a Dynamo graph, an exported program, a TorchScript trace, an FX
  graph or a torch.func transform (where tensors are wrapped and `.item()` is refused).
- `hidden()`: the tool's own tensor work (statistics, probes) runs with torch-function
  handling disabled and the user's dispatch modes popped for the duration, so a user's
  TorchFunctionMode, TorchDispatchMode or FlopCounterMode never sees it; the mode stacks
  are put back exactly as they were.
"""
from __future__ import annotations

import contextlib

import torch
import torch.compiler as _compiler
import torch.fx._symbolic_trace as _fx
from torch._C import _functorch
from torch.utils._python_dispatch import _disable_current_modes

_PROXY = torch._C._TorchDispatchModeKey.PROXY
_FAKE = torch._C._TorchDispatchModeKey.FAKE
_is_tracing = torch.jit.is_tracing
_is_scripting = torch.jit.is_scripting
_current_level = _functorch.maybe_current_level
_dispatch_mode = torch._C._get_dispatch_mode
_dispatch_depth = torch._C._len_torch_dispatch_stack


def tracing() -> bool:
    """True inside torch.compile/Dynamo or torch.export (checked first: Dynamo folds it to a
    constant, so a hook it inlines becomes a no-op), jit.trace/jit.script, FX symbolic tracing,
    a torch.func transform (vmap, grad, jvp, ...), or make_fx-style proxy/fake tracing."""
    return (_compiler.is_compiling() or _compiler.is_exporting() or _is_tracing() or _is_scripting()
            or _fx._is_fx_tracing_flag or _current_level() is not None
            or (_dispatch_depth() > 0  # (the stack's length counts the infra modes too: cheaper to ask first)
                and (_dispatch_mode(_PROXY) is not None or _dispatch_mode(_FAKE) is not None)))


@contextlib.contextmanager
def hidden():
    """Run the tool's own tensor work where no user mode sees it."""
    with torch._C.DisableTorchFunction():
        if _dispatch_depth():
            with _disable_current_modes():
                yield
        else:
            yield
