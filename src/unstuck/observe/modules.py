"""Module observation (sampled ticks only): which modules ran, in which mode, with
which parameters, and the statistics of each root model's input.

Global module hooks put every module call on torch's slow path, so they are
installed for sampled windows only and removed in between, unless an observer asks for
the hub's `on_root_call` on other steps too (`ModuleObserver.listen`): the hooks then
stay on and only tell it which module was called, observing nothing else.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import weakref

import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

from unstuck.observe.autograd import in_backward
from unstuck.observe.callsite import is_tool, user_frame, user_site
from unstuck.observe.patching import Patches
from unstuck.observe.tracing import tracing
from unstuck.observe.probes import tensors
from unstuck.observe.stats import feature_std_mean, value_range
from unstuck.trace import InputRecord, ModeRecord, SequenceRecord

MODE_SENSITIVE = (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm, nn.AlphaDropout)
SEQUENCE_LAYERS = (nn.RNNBase, nn.MultiheadAttention)  # layers with a declared batch_first layout
MAX_SEQUENCE_RECORDS = 2000
MAX_PARENTS = 2000  # parents whose parameter versions are kept (dead ones dropped beyond it)
MAX_ANCESTORS = 8  # containers climbed to find the parameters a mode-sensitive layer belongs to


def _first_float_tensor(args):
    for a in args:
        if isinstance(a, torch.Tensor) and a.is_floating_point():
            return a
    return None


def _is_weight_layer(module) -> bool:
    """A module holding a weight tensor of 2+ dimensions (Linear, Conv, RNN, Embedding ...)."""
    return any(p is not None and p.dim() >= 2 for p in module._parameters.values())


def _user_name(module) -> str | None:
    """The name the user's code knows this module by: `model`, or `model.0` when only a
    sub-module of the user's `model` variable is called."""
    frame = user_frame(3)
    if frame is None:
        return None
    scopes = (frame.f_locals, frame.f_globals) if frame.f_locals is not frame.f_globals else (frame.f_globals,)
    for scope in scopes:
        for var, value in list(scope.items()):
            if not isinstance(value, nn.Module) or var.startswith("_"):
                continue
            if value is module:
                return var
            for qualified, sub in value.named_modules():
                if sub is module:
                    return f"{var}.{qualified}"
    return None


def _attached(args) -> bool:
    """A tensor argument belongs to a live autograd graph."""
    return any(isinstance(a, torch.Tensor) and a.requires_grad for a in args)


_DECORATOR = os.path.join("torch", "utils", "_contextlib.py")


def _from_user(frame) -> bool:
    """The block was entered by the user's code: a `with` statement, or a function the user
    decorated with `@torch.no_grad()` (entered from torch's decorator on the user's behalf)."""
    if frame is not None and frame.f_code.co_filename.endswith(_DECORATOR):
        frame = frame.f_back
    return frame is not None and not is_tool(frame.f_code.co_filename)


def _top_feature(record: InputRecord, x: torch.Tensor, scales: torch.Tensor) -> None:
    """Whether the largest-scale feature holds whole numbers only, and the next scale."""
    if scales.numel() < 2:
        return
    top = scales.topk(2)
    record.second_scale = float(top.values[1])
    column = x.select(1, int(top.indices[0]))
    record.top_integral = bool((column == column.round()).all())


class EvalWatch:
    """Evaluation code (a user's `with torch.no_grad():` block) usually runs between epochs, on
    ticks that sampling skips. Watch every such block: module hooks are installed on entry and
    removed on exit, so train/eval modes are seen where they matter. Costs nothing elsewhere."""

    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()
        self.active = 0

    def install(self) -> None:
        for cls in (torch.no_grad, torch.inference_mode):
            self._wrap(cls)

    def uninstall(self) -> None:
        self.patches.restore()

    def _wrap(self, cls) -> None:
        enter, exit_ = cls.__enter__, cls.__exit__
        watch = self

        def __enter__(ctx):
            result = enter(ctx)
            if tracing():
                return result
            if not watch.s.sampling and _from_user(sys._getframe(1)):
                watch.active += 1
                watch.s.guard("eval watch", watch.s.modules.install)
            return result

        def __exit__(ctx, *exc):
            if watch.active and not tracing() and _from_user(sys._getframe(1)):
                watch.active -= 1
                if not watch.active and not watch.s.sampling:
                    watch.s.guard("eval watch", watch.s.modules.uninstall)
            return exit_(ctx, *exc)

        self.patches.patch(cls, "__enter__", __enter__)
        self.patches.patch(cls, "__exit__", __exit__)


class ModuleObserver:
    def __init__(self, session) -> None:
        self.s = session
        self.handles = []
        self.names: dict[int, str] = {}  # id(module) -> qualified name under its root
        self.roots: dict[int, tuple[weakref.ref, bool]] = {}  # id -> (module, has parameters)
        self.wanted = False  # installed (a sampled window or an evaluation block), maybe suspended
        self.listeners: set[int] = set()  # ids of the observers that asked for on_root_call (see listen)
        self.first_layer_pending = False  # a root forward started and its first weight layer has not run yet
        self.input_groups: dict[int, tuple] = {}  # id(input) -> (weakref(input), layer_order of its first weight layer)
        self.input_stats = None  # (tick, weakref(input), InputRecord) of the latest input measured
        # Depth of the module call that opened a no-grad forward on a graph-attached input (an
        # autograd Function's forward, e.g. reentrant checkpointing); 0 outside one.
        self.graph_region = 0
        self.root_key = 0  # id of the root module whose forward is running
        self.parents: dict[int, weakref.ref] = {}  # id(submodule) -> its parent module
        self.frozen_cache: dict[int, tuple[int, bool]] = {}  # id(parent) -> (tick, all frozen)
        # id(parent) -> (ref, its parameters' versions and addresses summed, tick asked, moved since the ask before)
        self.parent_versions: dict[int, tuple[weakref.ref, int, int, bool]] = {}

    def install(self) -> None:
        self.wanted = True
        if self.handles:
            return
        self.s.depth = 0
        self._register()

    def uninstall(self) -> None:
        self.wanted = False
        if not self.listeners:
            self._unregister()

    def listen(self, observer, on: bool) -> None:
        """Keep the hooks on outside windows too, for `observer`'s on_root_call, until it
        switches them off again (the checkpointer asks for the step before a checkpoint)."""
        if on:
            self.listeners.add(id(observer))
            if not self.handles:
                self.s.depth = 0
                self._register()
        else:
            self.listeners.discard(id(observer))
            if not self.listeners and not self.wanted:
                self._unregister()

    def suspend(self) -> None:
        """Lift the hooks while compiled code runs (the depth count is kept)."""
        self._unregister()

    def resume(self) -> None:
        if self.wanted or self.listeners:
            self._register()

    def _register(self) -> None:
        if self.handles or self.s.compiled_depth:
            return
        self.graph_region = 0
        self.handles = [register_module_forward_pre_hook(self._pre),
                        register_module_forward_hook(self._post, always_call=True)]

    def _unregister(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    def _pre(self, module, args):
        if tracing():  # jit.trace, torch.func transforms, FX, export: never observed
            return
        s = self.s
        s.depth += 1
        if s.busy:
            return
        root = s.depth == 1 and not in_backward()  # a recomputation inside backward is no model call
        if root and s.hub.wants("on_root_call"):
            s.hub.emit("on_root_call", module)
        if not self.wanted:  # on for the listeners only
            return
        if root:
            self.root_key = id(module)
            s.guard("module", self._on_root, module, args)
            if s.hub.wants("on_model_input"):
                s.guard("input listener", self._tell_listeners, module, args, torch.is_grad_enabled())
        if self.first_layer_pending:
            s.guard("module", self._first_layer, module, args)
        if isinstance(module, SEQUENCE_LAYERS) and torch.is_grad_enabled():
            s.guard("module", self._sequence_layout, module, args)
        if not self.graph_region and not torch.is_grad_enabled() and _attached(args):
            self.graph_region = s.depth

    def _post(self, module, args, output):
        if tracing():
            return
        s = self.s
        depth, s.depth = s.depth, max(0, s.depth - 1)
        if depth <= 1:
            self.first_layer_pending = False  # the root forward ended without a weight layer
        in_graph = bool(self.graph_region)
        if self.graph_region >= depth:
            self.graph_region = 0
        if (s.ops.cut_outs or s.ops.cut_stores) and not s.busy:  # cut values through a module whose ops the
            s.guard("module", s.ops.follow_opaque, args, None, output)  # mode may not see (TorchScript)
        if self.wanted and not s.busy:
            s.guard("module", self._on_module, module, torch.is_grad_enabled(), in_graph,
                    args[0] if args and isinstance(args[0], torch.Tensor) else None)
            if depth == 1 and s.hub.wants("on_root_forward") and not in_backward():
                known = self.roots.get(id(module))
                if known is not None and known[1] and known[0]() is module:  # a model
                    s.hub.emit("on_root_forward", module, args, output)

    def _on_root(self, module, args) -> None:
        s = self.s
        known = self.roots.get(id(module))
        if known is None or known[0]() is not module:
            has_params = next(module.parameters(), None) is not None
            self.roots[id(module)] = (weakref.ref(module), has_params)
            if has_params:
                self._register_root(module)
        elif not known[1]:
            return  # a loss module or other parameter-free callable: not a model
        if not self.roots[id(module)][1]:
            return
        self._record_input(module, args)
        self.first_layer_pending = True
        self.input_groups = {}
        if next(tensors(args), None) is not None:
            s.last_input = (weakref.ref(module), args)

    def _tell_listeners(self, module, args, grad_enabled: bool) -> None:
        known = self.roots.get(id(module))
        if known is not None and known[1]:  # a model (it has parameters)
            self.s.hub.emit("on_model_input", module, args, grad_enabled)

    def _first_layer(self, module, args) -> None:
        """The input of the first weight layer of a root forward (read inside the guard, so
        user modes do not see the parameter checks)."""
        if _is_weight_layer(module):
            self.first_layer_pending = False
            self._record_input(module, args, self.s.trace.layer_inputs)

    def _sequence_layout(self, module, args) -> None:
        """The input layout a sequence layer got, against the one it declares (sampled ticks)."""
        s = self.s
        x = args[0] if args else None
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or len(s.trace.sequences) >= MAX_SEQUENCE_RECORDS:
            return
        if s.trace.sequences and s.trace.sequences[-1].tick == s.tick and \
                s.trace.sequences[-1].shape == tuple(x.shape):
            return  # the same layout again in this step (stacked layers, a loop over time)
        s.trace.sequences.append(SequenceRecord(
            tick=s.tick, module_type=type(module).__name__, batch_first=bool(getattr(module, "batch_first", False)),
            shape=tuple(x.shape), site=user_site(), defined_at=s.sites.defined_at(module)))

    def _register_root(self, module) -> None:
        s = self.s
        cls = type(module).__name__
        s.trace.models.append(cls)
        prefix = _user_name(module) or cls
        for name, sub in module.named_modules():
            self.names[id(sub)] = f"{prefix}.{name}" if name else prefix
            for child in sub._modules.values():
                if child is not None:
                    self.parents[id(child)] = weakref.ref(sub)
        pids = []
        for name, p in module.named_parameters():
            s.register_param(p, f"{prefix}.{name}", "")
            pids.append(id(p))
        s.trace.root_params[id(module)] = tuple(pids)

    def _record_input(self, module, args, into=None) -> None:
        s = self.s
        into = s.trace.inputs if into is None else into
        x = _first_float_tensor(args)
        if x is None:
            if into is not s.trace.inputs:  # a weight layer fed integers (an embedding): no scale to judge
                into.append(InputRecord(tick=s.tick, shape=(), finite=True, abs_max=None, feature_std_max=None,
                                        feature_std_min=None, mean_abs_max=None, site=None))
            return
        site = user_site()
        seen = self.input_stats
        if seen is not None and seen[0] == s.tick and seen[1]() is x:  # the root's input, fed on unchanged
            into.append(dataclasses.replace(seen[2], site=site))
            return
        record = InputRecord(tick=s.tick, shape=tuple(x.shape), finite=True, abs_max=None,
                             feature_std_max=None, feature_std_min=None, mean_abs_max=None, site=site)
        xd = x.detach()
        if xd.numel():
            lo, hi = value_range(xd)  # NaN and Inf propagate: one reduction tells finiteness too
            abs_max = max(abs(lo), abs(hi)) if math.isfinite(lo) and math.isfinite(hi) else math.nan
            record.finite = math.isfinite(abs_max)
            if record.finite:
                record.abs_max = abs_max
                if xd.dim() >= 2 and xd.shape[0] >= 2:  # per feature/channel (axis 1), over the rest
                    std, mean = feature_std_mean(xd)
                    record.feature_std_max = float(std.max())
                    record.feature_std_min = float(std.min())
                    record.mean_abs_max = float(mean.abs().max())
                    _top_feature(record, xd, torch.maximum(std, mean.abs()))
        self.input_stats = (s.tick, weakref.ref(x), record)
        into.append(record)

    def _on_module(self, module, grad_enabled: bool, in_graph: bool = False, x=None) -> None:
        s = self.s
        params = [p for p in module._parameters.values() if p is not None]
        if params:
            name = self.names.get(id(module))
            mtype = type(module).__name__
            if id(module) not in self.names:
                self.names[id(module)] = name = f"{mtype}({module.extra_repr()})"
            for pname, p in module._parameters.items():
                if p is None:
                    continue
                s.register_param(p, f"{name}.{pname}", mtype)
                info = s.trace.params[id(p)]
                info.module_type = mtype
                if info.layer_order < 0:
                    info.layer_order = s.layer_counter
                    s.layer_counter += 1
                    if x is not None:  # layers of one input tensor are parallel branches, not depth
                        entry = self.input_groups.get(id(x))
                        if entry is None or entry[0]() is not x:
                            entry = self.input_groups[id(x)] = (weakref.ref(x), info.layer_order)
                        info.input_group = entry[1]
            ids = {id(p) for p in params}
            for st in s.opts.values():
                st.used |= ids
                if not grad_enabled:
                    st.used_without_grad |= ids
        if isinstance(module, MODE_SENSITIVE):
            trainable = any(p.requires_grad for p in params)
            s.trace.modes.append(ModeRecord(
                tick=s.tick, module=self.names.get(id(module), type(module).__name__),
                module_type=type(module).__name__, training=module.training,
                grad_enabled=grad_enabled, params_trainable=trainable, site=user_site(),
                graph_input=in_graph and not grad_enabled, root=self.root_key,
                frozen_parent=self._frozen_parent(module),
                parent_moved=not grad_enabled and module.training and self._parent_moved(module)))

    def _parent_moved(self, module) -> bool:
        """The module's nearest ancestor with parameters holds none that an optimizer holds or
        that has a `.grad`, and they changed since the last time this was asked: the script
        moves them itself (a momentum encoder, an EMA teacher). Asked only of no-gradient
        forwards in training mode."""
        parent = module
        for _ in range(MAX_ANCESTORS):  # a parameter-less container (pool, flatten, dropout): its parent
            ref = self.parents.get(id(parent))
            parent = ref() if ref is not None else None
            if parent is None:
                return False
            if next(parent.parameters(), None) is not None:
                break
        else:
            return False
        before = self.parent_versions.get(id(parent))
        if before is not None and before[0]() is not parent:
            before = None
        if before is not None and before[2] == self.s.tick:  # its other layers, in the same step
            return before[3]
        held = set().union(*(st.param_ids for st in self.s.opts.values()))
        version = 0  # in-place updates bump a parameter's version; `p.data = ...` gives it new memory
        for p in parent.parameters():
            if p.grad is not None or id(p) in held:  # trained by gradients (`.grad` may be None after zero_grad)
                return False
            version += p._version + p.data_ptr()
        moved = before is not None and before[1] != version
        if len(self.parent_versions) >= MAX_PARENTS:
            self.parent_versions = {k: v for k, v in self.parent_versions.items() if v[0]() is not None}
        self.parent_versions[id(parent)] = (weakref.ref(parent), version, self.s.tick, moved)
        return moved

    def _frozen_parent(self, module) -> bool:
        """The module's parent has parameters and none of them can learn (cached per tick)."""
        ref = self.parents.get(id(module))
        parent = ref() if ref is not None else None
        if parent is None:
            return False
        tick = self.s.tick
        cached = self.frozen_cache.get(id(parent))
        if cached is not None and cached[0] == tick:
            return cached[1]
        seen = frozen = False
        for p in parent.parameters():
            seen = True
            if p.requires_grad:
                break
        else:
            frozen = seen
        self.frozen_cache[id(parent)] = (tick, frozen)
        return frozen


class CompileBoundary:
    """Compiled code is observed at its boundary, never from inside.

    `torch.compile` is wrapped for the session: a compiled module (`OptimizedModule`) or
    function runs with the module hooks and the op tracer lifted (`Session.call_compiled`),
    so Dynamo neither traces the tool's hooks nor guards on them (no graph breaks, no
    recompiles, no "global hooks" warning), and the compiled model itself is seen as one
    root model: its inputs, parameters and mode, then the loss, gradients and optimizer
    outside it as usual."""

    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()
        self.optimized_patched = False

    def install(self) -> None:
        original = torch.compile
        boundary = self

        @functools.wraps(original)
        def compile(*args, **kwargs):
            compiled = original(*args, **kwargs)
            target = args[0] if args else kwargs.get("model")
            if target is None:  # `@torch.compile(mode=...)`: a decorator comes back
                def decorator(fn):
                    return boundary.wrap(decorator_result(fn), fn)
                decorator_result = compiled
                return functools.wraps(compiled)(decorator)
            return boundary.wrap(compiled, target)

        self.patches.patch(torch, "compile", compile)
        if "torch._dynamo.eval_frame" in sys.modules:
            self._patch_optimized_module()

    def uninstall(self) -> None:
        self.patches.restore()
        self.optimized_patched = False

    def wrap(self, compiled, target):
        if isinstance(compiled, nn.Module):
            self._patch_optimized_module()
            return compiled
        if not callable(compiled):
            return compiled
        owner = getattr(target, "__self__", None)  # `module.compile()` compiles module._call_impl
        module = owner if isinstance(owner, nn.Module) else None
        session = self.s

        @functools.wraps(compiled)
        def compiled_call(*args, **kwargs):
            if tracing():
                return compiled(*args, **kwargs)
            return session.call_compiled(compiled, module, args, kwargs)

        return compiled_call

    def _patch_optimized_module(self) -> None:
        if self.optimized_patched:
            return
        from torch._dynamo.eval_frame import OptimizedModule

        original = OptimizedModule.__call__
        session = self.s

        def __call__(mod, *args, **kwargs):
            if tracing():
                return original(mod, *args, **kwargs)
            return session.call_compiled(functools.partial(original, mod), mod._orig_mod, args, kwargs)

        self.patches.patch(OptimizedModule, "__call__", __call__)
        self.optimized_patched = True
