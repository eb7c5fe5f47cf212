"""Autograd observation: every backward() and autograd.grad() call.

On sampled ticks the loss's graph is walked (cheap: grad_fn/next_functions) to
learn which parameters it reaches, and the loss value is read.
"""
from __future__ import annotations

import functools
import math
import weakref

import torch

from unstuck.observe.callsite import user_site
from unstuck.observe.patching import Patches
from unstuck.observe.tracing import tracing
from unstuck.trace import BackwardRecord, Event, GradCallRecord, ManualUpdateRecord

# Backward nodes whose second derivative is zero almost everywhere.
PIECEWISE_LINEAR_NODES = frozenset({
    "ReluBackward0", "ReluBackward1", "ThresholdBackward0", "ThresholdBackward1", "LeakyReluBackward0",
    "LeakyReluBackward1", "HardtanhBackward0", "PreluKernelBackward0", "Relu6Backward0", "RreluWithNoiseBackward0",
    "HardswishBackward0",
})
SMOOTH_NODES = frozenset({
    "TanhBackward0", "SigmoidBackward0", "SiluBackward0", "GeluBackward0", "SoftplusBackward0", "EluBackward0",
    "ExpBackward0", "SinBackward0", "CosBackward0", "MishBackward0", "LogSigmoidBackward0",
})


def in_backward() -> bool:
    """The autograd engine is running a backward pass on this thread: code called now comes
    from inside it (a custom Function's backward, activation checkpointing's recomputation)."""
    return torch._C._current_graph_task_id() != -1


def _first_tensor(tensors):
    if isinstance(tensors, torch.Tensor):
        return tensors
    if isinstance(tensors, (list, tuple)) and tensors and isinstance(tensors[0], torch.Tensor):
        return tensors[0]
    return None


def _roots(tensors) -> list[torch.Tensor]:
    if isinstance(tensors, torch.Tensor):
        return [tensors]
    if isinstance(tensors, (list, tuple)):
        return [t for t in tensors if isinstance(t, torch.Tensor)]
    return []


def walk_graph(tensors) -> tuple[list[torch.Tensor], dict[str, int]]:
    """Leaf tensors (parameters) reached from `tensors`, and a count of node types."""
    stack = [t.grad_fn for t in tensors if t.grad_fn is not None]
    seen: set[int] = set()
    leaves: list[torch.Tensor] = []
    names: dict[str, int] = {}
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        name = type(fn).__name__
        names[name] = names.get(name, 0) + 1
        var = getattr(fn, "variable", None)
        if var is not None:
            leaves.append(var)
        for nxt, _ in fn.next_functions:
            if nxt is not None and id(nxt) not in seen:
                stack.append(nxt)
    for t in tensors:  # a loss that is itself a leaf
        if t.grad_fn is None and t.requires_grad:
            leaves.append(t)
    return leaves, names


FINGERPRINT_VALUES = 32  # values of a parameter compared to see it change behind its version counter


RATIO_VALUES = 4096  # values per parameter on which a manual update's size is estimated


def fingerprint(p: torch.Tensor, values: int = FINGERPRINT_VALUES) -> torch.Tensor:
    """Up to `values` evenly spaced values of `p`, copied: an update through `p.data` changes
    them without changing `p._version`, and they tell the size of an update."""
    flat = p.detach().reshape(-1)
    return flat[::max(1, flat.numel() // values)][:values].clone()


class AutogradObserver:
    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()
        # Manual updates changed parameters' version counters (`w -= lr * w.grad`): values need
        # not be compared. Until then, sampled backward passes also keep a fingerprint of each
        # parameter's values, so updates through `p.data` (`p.data.sub_(...)`) are seen too.
        self.version_updates_seen = False
        # Leaves that `torch.autograd.grad` differentiated, with their version counters, in
        # scripts with no optimizer and no backward(): a change between two calls is a step.
        self.grad_inputs: dict[int, tuple[weakref.ref, int]] = {}

    def install(self) -> None:
        s = self.s
        backward = torch.autograd.backward

        @functools.wraps(backward)
        def observed_backward(tensors, *args, **kwargs):
            if tracing():
                return backward(tensors, *args, **kwargs)
            if in_backward():  # a Function's backward running its own (reentrant checkpoint): same pass
                if s.sampling:
                    s.guard("backward", self._note_reached, _roots(tensors))
                return backward(tensors, *args, **kwargs)
            s.guard("backward", self._on_backward, tensors)
            s.hub.emit("on_backward", tensors)
            outer, s.gradient_pass = s.gradient_pass, 2
            try:
                result = backward(tensors, *args, **kwargs)
            finally:
                s.gradient_pass = outer
            if s.manual_leaves and not s.opts:  # updates by hand are looked for: note the leaves' state
                s.guard("backward", self._after_backward)
            if not s.opts and not s.in_step:  # no optimizer: a backward pass is a training step
                if s.ops.dispatch_depth:
                    s.pending_advance = True  # called through the op tracer: finish in Tensor.backward
                else:
                    s.advance()
            return result

        self.patches.patch(torch.autograd, "backward", observed_backward)
        tensor_backward = torch.Tensor.backward

        @functools.wraps(tensor_backward)
        def observed_tensor_backward(tensor, *args, **kwargs):
            # With the op tracer on, Tensor.backward is dispatched through it, and the tracer
            # cannot be switched off from inside its own dispatch: the step is completed here.
            result = tensor_backward(tensor, *args, **kwargs)
            if s.pending_advance and not tracing() and not s.ops.dispatch_depth:
                s.pending_advance = False
                s.advance()
            return result

        self.patches.patch(torch.Tensor, "backward", observed_tensor_backward)
        grad = torch.autograd.grad

        @functools.wraps(grad)
        def observed_grad(outputs, inputs, *args, **kwargs):
            create_graph = kwargs.get("create_graph", args[2] if len(args) > 2 else False)
            # Through the op tracer, autograd.grad re-enters itself (dispatch_depth > 0): seen once.
            watch = s.sampling and not s.ops.dispatch_depth and not tracing()
            record = s.guard("autograd.grad", self._on_grad, outputs, create_graph) if watch else None
            outer = s.gradient_pass
            if (not outer and not s.opts and not s.in_step and not s.trace.backward_calls
                    and not s.ops.dispatch_depth and not tracing()):
                s.guard("autograd.grad", self._grad_step, inputs)
            if not outer:  # inside backward() (a Function's backward) it stays that pass
                s.gradient_pass = 0 if create_graph else 1
            try:
                result = grad(outputs, inputs, *args, **kwargs)
            finally:
                s.gradient_pass = outer
            if record is not None and create_graph:
                s.guard("autograd.grad", self._after_grad, record, result)
            return result

        self.patches.patch(torch.autograd, "grad", observed_grad)
        self.func = FuncTransformObserver(s)
        self.func.install()

    def uninstall(self) -> None:
        self.func.uninstall()
        self.patches.restore()

    def _on_backward(self, tensors) -> None:
        s = self.s
        s.trace.backward_calls += 1
        in_step = s.in_step > 0
        if not in_step:
            for st in s.opts.values():
                st.backwards += 1
        if s.manual_snapshot:
            self._check_manual_update()
        if not s.sampling:
            for st in s.opts.values():
                st.walked_all = False
            return
        site = user_site()
        s.trace.events.append(Event("backward", s.tick, None, in_step, site))
        roots = _roots(tensors)
        s.ops.note_gradient_roots(roots)
        leaves = self._note_reached(roots)
        optimized = s.optimized_ids()
        for t in leaves:
            if id(t) not in optimized and t.grad_fn is None and t is not (roots[0] if roots else None):
                s.manual_leaves[id(t)] = weakref.ref(t)
                s.register_param(t, None)
        loss = _first_tensor(tensors)
        value, finite, is_leaf = None, True, False
        if loss is not None:
            is_leaf = loss.grad_fn is None and loss.requires_grad
            if loss.numel() == 1:
                value = float(loss.detach())
                finite = math.isfinite(value)
            else:
                finite = bool(torch.isfinite(loss.detach()).all())
            if loss.grad_fn is not None and not in_step:
                self._check_retained()
                s.loss_refs.append(weakref.ref(loss))
                del s.loss_refs[:-64]
                if loss.dim() == 0:
                    if len(s.backwarded) > 64:  # keep the latest live ones (the one just before among them)
                        live = [(k, r) for k, r in s.backwarded.items() if r() is not None]
                        s.backwarded = dict(live[-32:])
                    s.backwarded[id(loss)] = weakref.ref(loss)
        s.trace.backwards.append(BackwardRecord(
            tick=s.tick, site=site, loss_value=value, loss_finite=finite, loss_is_leaf=is_leaf,
            reached_elems=s.trace.elems({id(t) for t in leaves}), in_step=in_step))

    def _note_reached(self, roots: list[torch.Tensor]) -> list[torch.Tensor]:
        """The leaves a backward pass from `roots` reaches, recorded as reached; returned."""
        s = self.s
        leaves, _ = walk_graph(roots)
        reached = {id(t) for t in leaves}
        for st in s.opts.values():
            st.reached |= reached
        for t in leaves:
            if isinstance(t, torch.nn.Parameter):
                s.register_param(t, None)
                s.trace.grad_reached[id(t)] = s.trace.grad_reached.get(id(t), 0) + 1
        return leaves

    def _check_retained(self) -> None:
        """How many losses of earlier sampled steps (all but the last two) are still alive with
        their graphs. Checked during the run: once the script ends its variables are gone."""
        s = self.s
        earlier = s.loss_refs[:-2]
        if not earlier:
            return
        alive = sum(1 for ref in earlier if (t := ref()) is not None and t.grad_fn is not None)
        s.trace.retained_losses = alive
        s.trace.retained_checked = len(earlier)

    def _after_backward(self) -> None:
        """After a backward pass with no optimizer, the state of the leaves it reached (the
        next backward tells a manual update from it)."""
        s = self.s
        snap = {}
        # on sampled steps the values are kept: they tell an update through `p.data` and its size
        values = s.sampling
        for pid, ref in s.manual_leaves.items():
            p = ref()
            if p is None or not p.is_floating_point():
                continue
            g = p.grad
            snap[pid] = (p._version, weakref.ref(g) if g is not None else None, g._version if g is not None else 0,
                         fingerprint(p, RATIO_VALUES) if values else None)
        s.manual_snapshot = snap
        s.manual_zeroed_ptrs = set()

    def _check_manual_update(self) -> None:
        """Parameters changed in place since the last backward, with no optimizer: a manual update.
        Stale when their .grad is the very tensor the last backward produced, untouched. That is
        judged on sampled ticks only, where the op tracer also sees `w.grad.data.zero_()`; an
        update through `.data` (no version bump) is seen by its values, compared on sampled ticks
        only (never a host-device sync on an unwatched step)."""
        s = self.s
        updated = stale = 0
        delta_sq = norm_sq = 0.0
        measured = False
        for pid, (pver, gref, gver, values) in s.manual_snapshot.items():
            ref = s.manual_leaves.get(pid)
            p = ref() if ref is not None else None
            if p is None:
                continue
            # values are compared on watched steps only: reading them is a device sync
            now = fingerprint(p, RATIO_VALUES) if values is not None and s.sampling else None
            if p._version != pver:
                self.version_updates_seen = True
            elif now is None or torch.equal(values, now):
                continue
            if now is not None and now.shape == values.shape:
                measured = True
                delta_sq += float((now.double() - values.double()).square().sum())
                norm_sq += float(values.double().square().sum())
            updated += 1
            g = p.grad
            if (gref is not None and gref() is g and g is not None and g._version == gver
                    and g.data_ptr() not in s.manual_zeroed_ptrs):
                stale += 1
        s.manual_snapshot = {}
        if updated:
            s.trace.manual_updates += 1
            if s.sampling:
                ratio = (delta_sq ** 0.5 / norm_sq ** 0.5) if measured and norm_sq > 0 else None
                s.trace.manual_checks.append(ManualUpdateRecord(s.tick, updated, stale, ratio))

    def _grad_step(self, inputs) -> None:
        """Training by `torch.autograd.grad` with no optimizer and no backward() (a Newton or
        hand-written update on the returned gradients): when a leaf it differentiates was
        changed in place since the previous call, one training step has completed."""
        s = self.s
        leaves = [t for t in _roots(list(inputs) if isinstance(inputs, (list, tuple)) else inputs)
                  if t.is_leaf and t.requires_grad]
        changed = False
        for t in leaves:
            known = self.grad_inputs.get(id(t))
            if known is not None and known[0]() is t and known[1] != t._version:
                changed = True
        if len(self.grad_inputs) > 256:  # forget the leaves that died (a helper's temporary copies)
            self.grad_inputs = {k: v for k, v in self.grad_inputs.items() if v[0]() is not None}
        self.grad_inputs.update((id(t), (weakref.ref(t), t._version)) for t in leaves)
        for t in leaves:
            s.register_param(t, None)
        if changed:
            s.trace.manual_updates += 1
            s.advance()

    def _on_grad(self, outputs, create_graph: bool) -> GradCallRecord:
        s = self.s
        s.ops.note_gradient_roots(_roots(outputs))
        _, names = walk_graph(_roots(outputs))
        relu = sum(n for k, n in names.items() if k in PIECEWISE_LINEAR_NODES)
        smooth = sum(n for k, n in names.items() if k in SMOOTH_NODES)
        record = GradCallRecord(tick=s.tick, site=user_site(), create_graph=bool(create_graph),
                                relu_nodes=relu, smooth_nodes=smooth)
        s.trace.grad_calls.append(record)
        return record

    @staticmethod
    def _after_grad(record: GradCallRecord, result) -> None:
        """Whether the derivative just computed (with create_graph=True) is identically zero."""
        grads = _roots(list(result.values()) if isinstance(result, dict) else result)
        if not grads or any(torch._C._functorch.is_functorch_wrapped_tensor(g) for g in grads):
            return  # nothing returned, or inside a torch.func transform where values are not concrete
        record.result_zero = all(not bool(g.detach().any()) for g in grads)


def _leaves_of(tree) -> list[torch.Tensor]:
    """The tensors in a result of nested tuples, lists and dicts."""
    if isinstance(tree, torch.Tensor):
        return [tree]
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, (list, tuple)):
        return [t for item in tree for t in _leaves_of(item)]
    return []


GRADIENT_TRANSFORMS = ("grad", "grad_and_value", "vjp", "jacrev")
OUTER_TRANSFORMS = ("vmap",)


class FuncTransformObserver:
    """`torch.func` training: a gradient transform (`grad`, `grad_and_value`, `vjp`, `jacrev`)
    is the functional `backward()`. Inside a transform nothing is observed (tensors are
    wrapped, see `tracing`); when the outermost transform call returns and a gradient
    transform ran within it, one backward pass is counted, which is a training step when no
    optimizer is in use (parameters updated by hand, as torch.func code usually does)."""

    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()
        self.depth = 0
        self.gradients = 0

    def install(self) -> None:
        import torch.func as func

        for name in GRADIENT_TRANSFORMS + OUTER_TRANSFORMS:
            original = getattr(func, name, None)
            if original is not None:
                wrapped = self._wrap_transform(original, name in GRADIENT_TRANSFORMS)
                self.patches.patch(func, name, wrapped)
                if getattr(torch, name, None) is original:  # torch.vmap
                    self.patches.patch(torch, name, wrapped)

    def uninstall(self) -> None:
        self.patches.restore()

    def _wrap_transform(self, transform, gradient: bool):
        observer = self

        @functools.wraps(transform)
        def observed_transform(*targs, **tkwargs):
            transformed = transform(*targs, **tkwargs)
            if not callable(transformed):
                return transformed  # vjp returns (output, vjp_fn): the call itself is the pass
            return observer._wrap_call(transformed, gradient, transform.__name__ == "grad_and_value")

        if transform.__name__ == "vjp":
            @functools.wraps(transform)
            def observed_vjp(*args, **kwargs):
                result = transform(*args, **kwargs)
                observer.gradients += 1
                observer._maybe_step()
                return result
            return observed_vjp
        return observed_transform

    def _wrap_call(self, transformed, gradient: bool, with_value: bool = False):
        observer = self

        @functools.wraps(transformed)
        def call(*args, **kwargs):
            if torch.compiler.is_compiling():
                return transformed(*args, **kwargs)
            observer.depth += 1
            result = None
            try:
                result = transformed(*args, **kwargs)
                return result
            finally:
                observer.depth -= 1
                observer.gradients += gradient
                if gradient and not observer.depth and observer.s.sampling and result is not None:
                    observer.s.guard("torch.func", observer._record_pass, result, with_value)
                observer._maybe_step()

        return call

    def _record_pass(self, result, with_value: bool) -> None:
        """A gradient transform's pass on a sampled step, as a backward pass is recorded: its
        loss value (`grad_and_value`) and whether the loss and the gradients are finite."""
        if tracing():
            return
        grads, value = (result[0], result[1]) if with_value and isinstance(result, tuple) else (result, None)
        if isinstance(value, tuple):  # has_aux: (value, aux)
            value = value[0]
        tensors = [t for t in _leaves_of(grads) if t.is_floating_point()]
        if not tensors and not isinstance(value, torch.Tensor):
            return
        finite = all(bool(torch.isfinite(t).all()) for t in tensors)
        loss = None
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            loss = float(value.detach())
            finite = finite and math.isfinite(loss)
        s = self.s
        s.trace.backwards.append(BackwardRecord(tick=s.tick, site=user_site(), loss_value=loss, loss_finite=finite,
                                                loss_is_leaf=False, reached_elems=0, in_step=False))

    def _maybe_step(self) -> None:
        s = self.s
        if self.depth or not self.gradients or tracing():
            return
        self.gradients = 0
        s.trace.backward_calls += 1
        if not s.opts and not s.in_step:
            s.advance()
