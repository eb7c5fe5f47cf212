"""Where things were made and set: the lines a fix has to edit.

Always on, and paid per call only (nothing per training step):
- every `nn.Module` construction records the user's line that built it (`nn.Softmax(dim=1)`
  in model.py, `model = Net()` for a module of the user's own class), kept in a weak map;
- every `Module.train(mode)` / `Module.eval()` call from the user's code is a `ModeCall`;
- every `requires_grad_(False)` on a module or a tensor from the user's code is a `FreezeCall`;
  `p.requires_grad = False` runs no Python code to wrap: when the run ends with a watched
  parameter frozen, the user's source is read for such assignments (`observe.assignments`).

During sampled steps the op tracer asks `note_output` which built-in module produced an
activation's output, so findings about a Softmax head or a ReLU layer can point at the
line that constructed it (`LossCall.producer_site`, `ActivationRecord.defined_at`).
"""
from __future__ import annotations

import functools
import sys
import weakref

import torch
from torch import nn

from unstuck.observe.assignments import find_freeze_assignments
from unstuck.observe.callsite import LIBRARY, USER, _location, is_user, owner, real_path, user_site
from unstuck.observe.patching import Patches
from unstuck.observe.tracing import tracing
from unstuck.trace import FreezeCall, Location, ModeCall

MODE_SENSITIVE = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm)
PURGE_AT = 4096  # entries of the output map before dead tensors are dropped from it


def _construction_site(module) -> Location | None:
    """The user's line that built `module`: the innermost user frame that is not inside the
    module's own `__init__` (a user-defined module is located where it is instantiated); for a
    model built entirely inside a library, the innermost library frame (see callsite.owner)."""
    frame = sys._getframe(2)
    fallback = None  # a model built inside a library, with no user frame on the stack
    while frame is not None:
        kind = owner(frame.f_code.co_filename)
        own_init = frame.f_code.co_name == "__init__" and frame.f_locals.get("self") is module
        if kind == USER and not own_init:
            return _location(frame)
        if kind == LIBRARY and not own_init and fallback is None:
            fallback = frame
        frame = frame.f_back
    return _location(fallback) if fallback is not None else None


class SiteObserver:
    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()
        # id(module) -> (weakref(module), Location). Keyed by identity, not by hash: a module's
        # __hash__ may read state its __init__ has not set yet (torchmetrics' Metric), and change.
        self.defined: dict[int, tuple[weakref.ref, Location]] = {}
        self.outputs: dict[int, tuple[weakref.ref, Location]] = {}  # id(tensor) -> its module's site
        self.depth = 0  # >0 inside a train()/requires_grad_() call we already record

    # ------------------------------------------------------------ install
    def install(self) -> None:
        s = self.s
        init = nn.Module.__init__

        @functools.wraps(init)
        def __init__(module, *args, **kwargs):
            init(module, *args, **kwargs)
            if not tracing():  # not the modules a compiler builds for itself
                s.guard("construction site", self._on_init, module)

        self.patches.patch(nn.Module, "__init__", __init__)
        self._wrap_outermost(nn.Module, "train", self._on_train)
        self._wrap_outermost(nn.Module, "requires_grad_", self._on_module_freeze)
        self._wrap_outermost(torch.Tensor, "requires_grad_", self._on_tensor_freeze)

    def uninstall(self) -> None:
        self.patches.restore()
        self.outputs.clear()
        self._find_assignments()  # the session runs uninstall under its guard

    def _find_assignments(self) -> None:
        """After the run, only when a watched parameter ended frozen: the freezing assignments
        written in the user's source (the script and the files of the lines already recorded
        first)."""
        if not any((p := ref()) is not None and not p.requires_grad for ref in self.s.param_refs.values()):
            return
        t = self.s.trace
        sites = [c.site for c in t.freeze_calls] + [site for _, site in self.defined.values()]
        sites += [o.site for o in t.optimizers.values()]
        first = [t.script] + list(dict.fromkeys(real_path(site.file) for site in sites if site is not None))
        t.freeze_calls += find_freeze_assignments(first)

    def _wrap_outermost(self, owner, name: str, record) -> None:
        """Call `record(obj, *args, **kwargs)` for the outermost call of owner.name (not for the
        calls it makes on children); the record names the user's line that led to it."""
        original = getattr(owner, name)
        observer = self

        @functools.wraps(original)
        def wrapper(obj, *args, **kwargs):
            if observer.depth == 0 and not tracing():
                observer.s.guard(f"{name} site", record, obj, *args, **kwargs)
            observer.depth += 1
            try:
                return original(obj, *args, **kwargs)
            finally:
                observer.depth -= 1

        self.patches.patch(owner, name, wrapper)

    # ------------------------------------------------------------ records
    def _on_init(self, module) -> None:
        if self.defined_at(module) is None:
            site = _construction_site(module)
            if site is not None:
                if len(self.defined) >= PURGE_AT:
                    self.defined = {k: v for k, v in self.defined.items() if v[0]() is not None}
                self.defined[id(module)] = (weakref.ref(module), site)

    def _on_train(self, module, mode: bool = True) -> None:
        sensitive = tuple(sorted({type(m).__name__ for m in module.modules() if isinstance(m, MODE_SENSITIVE)}))
        self.s.trace.mode_calls.append(ModeCall(tick=self.s.tick, training=bool(mode), site=user_site(),
                                                module_type=type(module).__name__, sensitive_types=sensitive))

    def _on_module_freeze(self, module, requires_grad: bool = True) -> None:
        if not requires_grad:
            elems = sum(p.numel() for p in module.parameters())
            self.s.trace.freeze_calls.append(FreezeCall(tick=self.s.tick, site=user_site(), elems=elems))

    def _on_tensor_freeze(self, tensor, requires_grad: bool = True) -> None:
        if not requires_grad and isinstance(tensor, nn.Parameter):
            self.s.trace.freeze_calls.append(FreezeCall(tick=self.s.tick, site=user_site(), elems=tensor.numel()))

    # ------------------------------------------------------------ lookups (sampled steps)
    def defined_at(self, module) -> Location | None:
        entry = self.defined.get(id(module))
        return entry[1] if entry is not None and entry[0]() is module else None

    def running_module_site(self) -> Location | None:
        """The construction site of the innermost built-in module running on behalf of the
        user's code (the `nn.Softmax` whose forward is executing), or None when the user's own
        code called the function directly."""
        frame = sys._getframe(1)
        while frame is not None and not is_user(frame.f_code.co_filename):
            owner = frame.f_locals.get("self") if frame.f_code.co_name == "forward" else None
            if isinstance(owner, nn.Module):
                return self.defined_at(owner)
            frame = frame.f_back
        return None

    def note_output(self, out: torch.Tensor) -> Location | None:
        """Remember which module's construction produced `out` (called by the op tracer)."""
        site = self.running_module_site()
        if site is not None:
            if len(self.outputs) >= PURGE_AT:
                self.outputs = {k: v for k, v in self.outputs.items() if v[0]() is not None}
            self.outputs[id(out)] = (weakref.ref(out), site)
        return site

    def site_of(self, t: torch.Tensor) -> Location | None:
        """The construction site of the module that produced `t` (or the tensor it views)."""
        for candidate in (t, getattr(t, "_base", None)):
            if candidate is None:
                continue
            entry = self.outputs.get(id(candidate))
            if entry is not None and entry[0]() is candidate:
                return entry[1]
        return None
