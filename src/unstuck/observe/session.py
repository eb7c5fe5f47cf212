"""A watching session: owns the Trace, the sampling windows and every observer.

Transparency rules (DESIGN.md): hooks return None, never touch module modes,
requires_grad, gradients, optimizer state or the global RNGs; statistics are
computed under no_grad on detached tensors; every observer body runs inside
`guard`, so a failure in the tool is recorded and never reaches the script.
"""
from __future__ import annotations

import logging
import sys
import time
import traceback
import weakref
from typing import TYPE_CHECKING

import torch

from unstuck.observe.hub import Hub
from unstuck.observe.patching import Patches
from unstuck.observe.sampling import Pace, Sampling
from unstuck.observe.tracing import _disable_current_modes, _dispatch_depth, tracing
from unstuck.reportdata import ToolError
from unstuck.trace import ParamInfo, Trace

if TYPE_CHECKING:
    from unstuck.observe.optimizers import OptState

log = logging.getLogger(__name__)


# Sessions started and not stopped, innermost last: only the innermost one is installed.
_ACTIVE: list[Session] = []


class StopTraining(BaseException):
    """Raised from an optimizer hook when --max-steps is reached.

    A BaseException, like KeyboardInterrupt, so a script's `except Exception`
    does not swallow it."""


class Session:
    def __init__(self, script: str, sampling: Sampling | None = None, max_steps: int | None = None,
                 probes: bool = True, observers=()):
        self.trace = Trace(script=script)
        self.sampling_cfg = sampling or Sampling()
        self.max_steps = max_steps
        self.probes = probes
        self.tick = 0
        self.sampling = False
        self.pace = Pace()
        self.stretch = 1  # widens the sampling intervals when watched steps are expensive
        self._replicated: bool | None = None  # see replicated()
        self.stepping_opts = 1  # optimizers that have stepped (at least 1, at most MAX_WIDTH): ticks watched together
        self.last_advance: float | None = None
        self.in_step = 0
        self.gradient_pass = 0  # inside backward(): 2; autograd.grad without create_graph: 1 (LossCall.backprop)
        self.depth = 0
        self.busy = False  # re-entrancy guard: our own tensor ops are not observed
        self.compiled_depth = 0  # >0 while compiled code runs: module hooks and op tracer are lifted
        self.opts: dict[int, OptState] = {}
        self.param_refs: dict[int, weakref.ref] = {}
        self.manual_leaves: dict[int, weakref.ref] = {}
        self.manual_snapshot: dict[int, tuple[int, object, int, object]] = {}  # pid -> (version, grad, grad version, values)
        self.manual_zeroed_ptrs: set[int] = set()
        self.loss_refs: list[weakref.ref] = []
        self.backwarded: dict[int, weakref.ref] = {}  # losses already backpropagated (latest sampled ones)
        self.layer_counter = 0
        self.errors: dict[tuple[str, str], ToolError] = {}
        self._observers = []
        # Extra observers (step log, checkup capture, live status, ...): observe.hub.Observer
        # subclasses, installed after the built-in ones and removed before them; the hub tells
        # them the session's events (one set of torch hooks serves every observer).
        self.extra_observers = list(observers)
        self.hub = Hub(self)
        self._loader_patch = Patches()
        self._installed = False
        self.probe_done = False
        self.pending_advance = False
        self.last_input = None  # (weakref(root module), input tensor) of the latest sampled forward

    # ---------------------------------------------------------------- install
    def start(self) -> None:
        from unstuck.observe.autograd import AutogradObserver
        from unstuck.observe.modules import CompileBoundary, EvalWatch, ModuleObserver
        from unstuck.observe.ops import OpObserver
        from unstuck.observe.optimizers import OptimizerObserver
        from unstuck.observe.sites import SiteObserver

        self.modules = ModuleObserver(self)
        self.ops = OpObserver(self)
        self.sites = SiteObserver(self)
        # Always-on observers are installed for the whole run; the windowed ones (module hooks,
        # op tracer) only for sampled windows and evaluation blocks (see _set_window).
        self.optimizers = OptimizerObserver(self)
        self.always_on = [self.optimizers, AutogradObserver(self), EvalWatch(self), self.sites,
                          CompileBoundary(self)]
        self.windowed = [self.modules, self.ops]
        self._observers = self.always_on + self.windowed
        if _ACTIVE:  # a session inside another one (unstuck.watch() in a watched script): the
            _ACTIVE[-1]._suspend()  # inner one sees the training in between, then hands back
        _ACTIVE.append(self)
        self._install()

    def _install(self) -> None:
        for obs in self.always_on:
            obs.install()
        for obs in self.extra_observers:
            self.guard("install", obs.install, self)
            self.hub.register(obs)
        if self.hub.wants("on_loader_iter"):
            self.guard("install", self._patch_loader)
        self._installed = True
        self._set_window(self.is_sampled(self.tick))

    def _suspend(self) -> None:
        """Take every hook and patch off, keeping what was recorded (see start)."""
        if not self._installed:
            return
        self._set_window(False)
        self._loader_patch.restore()
        for obs in reversed(self.extra_observers):
            self.hub.unregister(obs)
            self.guard("uninstall", obs.uninstall)
        for obs in reversed(self._observers):
            self.guard("uninstall", obs.uninstall)
        self._installed = False

    def stop(self) -> Trace:
        if self not in _ACTIVE:
            return self.trace
        top = _ACTIVE[-1] is self
        _ACTIVE.remove(self)
        self._suspend()
        self.guard("finalize", self._finalize)
        if top and _ACTIVE:
            _ACTIVE[-1].guard("resume", _ACTIVE[-1]._install)
        return self.trace

    def _patch_loader(self) -> None:
        """DataLoader.__iter__, once, for the hub's on_loader_iter."""
        from torch.utils.data import DataLoader
        original = DataLoader.__iter__
        hub = self.hub

        def __iter__(loader):
            if not tracing():
                hub.emit("on_loader_iter", loader, torch.is_grad_enabled())
            return original(loader)

        self._loader_patch.patch(DataLoader, "__iter__", __iter__)

    @property
    def active(self) -> bool:
        """Started, not stopped, and not suspended by a session started inside it."""
        return self._installed

    # ---------------------------------------------------------------- windows
    def _set_window(self, on: bool) -> None:
        if on == self.sampling:
            return
        self.sampling = on
        if on:
            self.trace.sampled_ticks.append(self.tick)
            self.guard("window", self.modules.install)
            self.guard("window", self.ops.install)
        else:
            self.guard("window", self.ops.uninstall)
            self.guard("window", self.modules.uninstall)

    def advance(self) -> None:
        """One training step has completed."""
        now = time.perf_counter()
        if self.last_advance is not None:
            self.pace.record(now - self.last_advance, self.sampling)
            if not self.replicated():
                self.stretch = self.pace.stretch(self.sampling_cfg.early_every)
        self.tick += 1
        self.trace.ticks = self.tick
        sampled = self.is_sampled(self.tick)
        if not sampled:
            for st in self.opts.values():
                st.hooked_all = False
        self._set_window(sampled)
        if self.sampling and self.tick >= 2 and not self.probe_done and self.probes:
            from unstuck.observe.probes import probe_input_dependence
            self.probe_done = True
            self.guard("input probe", probe_input_dependence, self)
        if self.max_steps is not None and self.tick >= self.max_steps:
            self.trace.stopped_at_max_steps = True
            raise StopTraining()
        self.last_advance = now  # the window switch above is part of the next step's cost

    def replicated(self) -> bool:
        """Several processes train together (a process group of 2 or more). They then keep the
        base sampling schedule, each its own pace aside: a watched step may run collectives (a
        sharded DTensor's norm is one), which must meet the same ones in every process."""
        if self._replicated is None:
            dist = sys.modules.get("torch.distributed")
            if dist is None or not dist.is_available() or not dist.is_initialized():
                return False  # not yet: asked again at the next step
            self._replicated = dist.get_world_size() > 1
        return self._replicated

    def is_sampled(self, tick: int) -> bool:
        return self.sampling_cfg.sampled(tick, self.stretch, self.stepping_opts)

    # ---------------------------------------------------------------- registry
    def register_param(self, p: torch.Tensor, name: str | None, module_type: str = "") -> None:
        pid = id(p)
        known = self.param_refs.get(pid)
        if known is not None and known() is p:
            info = self.trace.params.get(pid)
            if info is not None and name and (info.name.startswith("#") or "(" in info.name):
                info.name = name
            return
        self.param_refs[pid] = weakref.ref(p)
        self.trace.params[pid] = ParamInfo(name=name or f"#{len(self.param_refs)} {tuple(p.shape)}",
                                           numel=p.numel(), shape=tuple(p.shape), module_type=module_type)

    def opt_state(self, opt) -> OptState:
        st = self.opts.get(id(opt))
        if st is None or st.ref() is not opt:
            from unstuck.observe.optimizers import register_optimizer
            register_optimizer(self, opt, None)
            st = self.opts[id(opt)]
        return st

    def note_zeroed(self, tensors) -> None:
        """In-place zeroing of tensors (seen by the op tracer): gradients cleared by hand."""
        ptrs = {t.data_ptr() for t in tensors if isinstance(t, torch.Tensor) and not t.is_sparse}
        for st in self.opts.values():
            st.zeroed_ptrs |= ptrs
        self.manual_zeroed_ptrs |= ptrs

    def optimized_ids(self) -> set[int]:
        ids: set[int] = set()
        for st in self.opts.values():
            ids |= st.param_ids
        return ids

    # ---------------------------------------------------------------- safety
    def guard(self, where: str, fn, *args, **kwargs):
        """Run observer code; a failure becomes a recorded tool error, never the user's problem.

        The code runs with torch-function handling off and the user's dispatch modes lifted
        (see `tracing.hidden`, inlined here: this is the hot path), so the user's
        TorchFunctionModes, TorchDispatchModes and flop counters never see the tool's work."""
        if self.busy:
            return None
        self.busy = True
        modes = None
        try:
            with torch._C.DisableTorchFunction():
                if _dispatch_depth():
                    modes = _disable_current_modes()
                    modes.__enter__()
                if not self.sampling:  # the always-on path reads attributes only: skip no_grad's cost
                    return fn(*args, **kwargs)
                with torch.no_grad():
                    return fn(*args, **kwargs)
        except StopTraining:
            raise
        except Exception as exc:  # noqa: BLE001 - the tool must never break the script
            self.record_error(where, exc)
            return None
        finally:
            if modes is not None:
                modes.__exit__(None, None, None)
            self.busy = False

    def record_error(self, where: str, exc: Exception) -> None:
        """A failure inside the tool: kept for the report (counted per place and kind)."""
        key = (where, type(exc).__name__)
        err = self.errors.get(key)
        if err is None:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.errors[key] = ToolError(where=where, error=detail)
            log.debug("unstuck observer error in %s", where, exc_info=True)
        else:
            err.count += 1

    # ---------------------------------------------------------------- compiled code
    def call_compiled(self, fn, module, args, kwargs):
        """Run compiled code with the module hooks and the op tracer lifted, so Dynamo never
        traces, guards on or recompiles for them; `module` (the compiled model, if any) is
        observed at its boundary as a root model."""
        watched = module is not None and bool(self.modules.handles)
        if watched:
            self.modules._pre(module, args)
        self.compiled_depth += 1
        steps_before = None
        if self.compiled_depth == 1:
            self.guard("compiled call", self.modules.suspend)
            self.guard("compiled call", self.ops.suspend)
            if self.opts:
                steps_before = self.guard("compiled call", self.optimizers.step_signatures)
        out = None
        try:
            out = fn(*args, **kwargs)
            return out
        finally:
            self.compiled_depth -= 1
            if self.compiled_depth == 0 and out is not None:  # cut values through the compiled code
                self.guard("compiled call", self.ops.follow_opaque, args, kwargs, out)
            if not self.compiled_depth:
                self.guard("compiled call", self.ops.resume)
                self.guard("compiled call", self.modules.resume)
            if watched:
                self.modules._post(module, args, None)
            if steps_before:  # an optimizer stepped inside: its hooks were compiled away
                for opt in self.guard("compiled call", self.optimizers.stepped_since, steps_before) or ():
                    self.optimizers.compiled_step(opt)

    def _finalize(self) -> None:
        self.optimizers.flush_lrs()
        for st in self.opts.values():
            rec = self.trace.optimizers[st.key]
            rec.steps = st.steps
