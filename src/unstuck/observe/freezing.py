"""Freezing: `module.requires_grad_(False)` calls, with the parameters each one reached.

Always on and free: the wrapper runs only when the script freezes or unfreezes a module.
`p.requires_grad = False` on single tensors is not seen here; the optimizer observer still
counts frozen parameters at every sampled step.
"""
from __future__ import annotations

import functools
import sys

from torch import nn

from unstuck.observe.callsite import is_library, user_site
from unstuck.observe.patching import Patches
from unstuck.trace import FreezeRecord


class FreezeWatch:
    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()

    def install(self) -> None:
        original = nn.Module.requires_grad_
        watch = self

        @functools.wraps(original)
        def requires_grad_(module, requires_grad: bool = True):
            result = original(module, requires_grad)
            if not requires_grad and not is_library(sys._getframe(1).f_code.co_filename):
                watch.s.guard("freeze", watch._on_freeze, module)
            return result

        self.patches.patch(nn.Module, "requires_grad_", requires_grad_)

    def uninstall(self) -> None:
        self.patches.restore()

    def _on_freeze(self, module) -> None:
        s = self.s
        params = list(module.parameters())
        if not params:
            return
        for p in params:
            s.register_param(p, None)
        s.trace.freezes.append(FreezeRecord(tick=s.tick, site=user_site(), module=type(module).__name__,
                                            param_ids=tuple(id(p) for p in params),
                                            elems=sum(p.numel() for p in params)))
