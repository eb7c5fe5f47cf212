"""Optimizer observation: construction site, step pre/post hooks, zero_grad calls.

Always on, and cheap: a step costs a counter, an lr read and, on sampled ticks
only, a pass over the optimizer's parameters.
"""
from __future__ import annotations

import functools
import math
import weakref
from dataclasses import dataclass, field

import torch
from torch.optim.optimizer import (Optimizer, register_optimizer_step_post_hook,
                                   register_optimizer_step_pre_hook)

from unstuck.observe.autograd import fingerprint
from unstuck.observe.callsite import user_site
from unstuck.observe.patching import Patches
from unstuck.observe.sampling import MAX_WIDTH
from unstuck.observe.tracing import tracing
from unstuck.trace import Event, OptimizerRecord, StepRecord

UPDATE_SAMPLE = 4096  # values per parameter the update ratio is measured on (evenly spaced)


@dataclass
class OptState:
    """Per-optimizer bookkeeping between two of its steps."""

    key: int
    ref: weakref.ref
    param_ids: frozenset[int] = frozenset()
    steps: int = 0
    backwards: int = 0  # backward() calls outside step() since the last step
    reached: set[int] = field(default_factory=set)  # params reached by those backward passes
    used: set[int] = field(default_factory=set)  # params whose module ran forward since the last step
    used_without_grad: set[int] = field(default_factory=set)  # ... of those, params that ran with gradients off
    walked_all: bool = True  # every backward since the last step had its graph walked
    hooked_all: bool = False  # module hooks were on for the whole time since the last step
    grad_snapshot: dict[int, tuple[object, int]] | None = None  # pid -> (weakref(grad) | None, grad._version)
    # params without a gradient at a sampled step: pid -> (version, a few values), to tell at the
    # next one whether something else moved them (an EMA teacher's `mul_`/`lerp_`, a polyak copy)
    idle_marks: dict[int, tuple[int, torch.Tensor]] = field(default_factory=dict)
    hand_updated: set[int] = field(default_factory=set)  # params seen moved with no gradient
    snapshot_at: int = -1  # self.steps when the snapshot was taken
    # Clearing seen since the snapshot: zero_grad() of this optimizer, module.zero_grad() of
    # some parameters, or in-place zeroing of gradient storage (`p.grad.data.zero_()`).
    cleared_all: bool = False
    cleared_ids: set[int] = field(default_factory=set)
    zeroed_ptrs: set[int] = field(default_factory=set)
    # (parameter, its squared norm, (stride, copy of its sampled values)) of each trainable
    # parameter before a watched step, for the update ratio (optimizers._update_sample)
    before: list | None = None
    frozen_sq: float = 0.0  # squared norm of the frozen parameters, part of the ratio's denominator
    pending: object = None  # StepRecord being filled between pre and post hooks


def _params(opt) -> list[torch.Tensor]:
    return [p for g in opt.param_groups for p in g["params"]]


def register_optimizer(session, opt, site) -> None:
    params = _params(opt)
    st_key = len(session.trace.optimizers)
    old = session.opts.get(id(opt))
    if old is not None:  # a dead optimizer whose id the new one reuses: keep what it did
        session.trace.optimizers[old.key].steps = old.steps
    session.opts[id(opt)] = OptState(key=st_key, ref=weakref.ref(opt),
                                     param_ids=frozenset(id(p) for p in params))
    for p in params:
        session.register_param(p, None)
    lr = opt.param_groups[0].get("lr") if opt.param_groups else None
    session.trace.optimizers[st_key] = OptimizerRecord(
        key=st_key, cls=type(opt).__name__, site=site, param_ids=tuple(id(p) for p in params),
        initial_lr=_float(lr), created_tick=session.tick)


def _float(x) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _signature(opt) -> tuple[int, int]:
    """Changes when `opt` steps: the version counters of the tensors in each group's first
    parameter's state (its `step`, moments, momentum buffer: only a step changes them), or,
    for an optimizer without state (plain SGD), of the parameter itself (bumped by the in-place
    update, compiled or not). Written as (entries in the state, sum of versions)."""
    entries = total = 0
    for group in opt.param_groups:
        for p in group["params"]:
            state = opt.state.get(p)  # (get: the state is a defaultdict, and must stay as it is)
            if state:
                for value in state.values():
                    if isinstance(value, torch.Tensor):
                        entries += 1
                        total += value._version
            else:
                total += p._version
            break
    return entries, total


def _update_sample(p: torch.Tensor) -> tuple[int | None, torch.Tensor]:
    """A copy of up to UPDATE_SAMPLE of a parameter's values, evenly spaced, to measure the
    step's update on (`_sampled`); the whole parameter when it is small or not a plain
    contiguous tensor. The stride shares no factor with the length of a row, so the sample
    visits every column (input, filter tap) of a weight, not the same few again and again.
    A full copy of every parameter on each watched step cost more than the rest of the step's
    statistics (and as much memory again as the model on a GPU)."""
    t = p.detach()
    n = t.numel()
    if n <= UPDATE_SAMPLE or type(t) is not torch.Tensor or t.layout is not torch.strided or not t.is_contiguous():
        return None, t.clone()  # a subclass (a sharded DTensor) is copied as it is: a slice could gather it
    stride = -(-n // UPDATE_SAMPLE)
    row = n // t.shape[0]  # one row's values (a unit's inputs, a filter): a shared factor would skip columns
    while math.gcd(stride, row) != 1:
        stride += 1
    return stride, _sampled(t, stride).clone()


def _sampled(p: torch.Tensor, stride: int | None) -> torch.Tensor:
    """The values of `p` that `_update_sample` copied (a view)."""
    t = p.detach()
    return t if stride is None else t.reshape(-1)[::stride]


def _norm(t: torch.Tensor) -> torch.Tensor:
    """L2 norm as a 0-d tensor, in one reduction without a temporary (in float32 for half
    precision); a sparse gradient (`nn.Embedding(sparse=True)`) holds only the rows looked up,
    possibly repeated: coalesce sums the repeats."""
    t = t.detach()
    if t.is_sparse:
        t = t.coalesce().values()
    half = t.dtype in (torch.float16, torch.bfloat16)
    return torch.linalg.vector_norm(t, dtype=torch.float32 if half else None)


def _norms(tensors) -> list[float]:
    """The norms of `tensors`, read together: one host read a device (and dtype) rather than one
    a tensor (on a GPU each read waits for the device). A tensor subclass (a sharded DTensor) is read
    on its own, as it reduces across processes."""
    tensors = list(tensors)
    out: list[float | None] = [None] * len(tensors)
    by_device: dict = {}
    for i, t in enumerate(tensors):
        n = _norm(t)
        if type(n) is torch.Tensor:
            by_device.setdefault((n.device, n.dtype), []).append((i, n))
        else:
            out[i] = float(n)
    for pairs in by_device.values():
        for (i, _), v in zip(pairs, torch.stack([n for _, n in pairs]).tolist()):
            out[i] = v
    return out


def _mark_idle(st: OptState, p: torch.Tensor) -> None:
    """A parameter with no gradient at this sampled step: if its values changed since the last
    sampled step it had none either, something other than this optimizer updated it (optimizers
    skip parameters without a gradient): an EMA teacher or a polyak target kept in the optimizer."""
    before = st.idle_marks.get(id(p))
    values = fingerprint(p)
    if before is not None and (before[0] != p._version or not torch.equal(before[1], values)):
        st.hand_updated.add(id(p))
    st.idle_marks[id(p)] = (p._version, values)


def _record_symmetric(session, params) -> None:
    """Weight matrices whose rows (units), or whose columns (inputs), are all identical before
    the first update."""
    for p in params:
        if p.dim() >= 2 and p.requires_grad:
            w = p.detach().reshape(p.shape[0], -1)
            if p.shape[0] >= 2 and bool((w == w[:1]).all()):
                session.trace.symmetric_params.append(id(p))
            if w.shape[1] >= 2 and bool((w == w[:, :1]).all()):
                session.trace.symmetric_inputs.append(id(p))


def _model_counts(session) -> tuple[int, int, int, tuple[int, ...]]:
    """Elements, frozen elements and trainable weight tensors over every parameter seen so far
    (models' and optimizers'), whichever optimizer holds them; and, when no weight tensor is
    trainable (so that they are few), the parameters that are."""
    elems = frozen = matrices = 0
    trainable: list[int] = []
    for pid, ref in session.param_refs.items():
        p = ref()
        if p is None:
            continue
        n = p.numel()
        elems += n
        if not p.requires_grad:
            frozen += n
            continue
        trainable.append(pid)
        if p.dim() >= 2:
            matrices += 1
    return elems, frozen, matrices, () if matrices else tuple(trainable)


LR_BATCH = 256  # tensor learning rates read in one batch this often (as the step log's losses)


class OptimizerObserver:
    def __init__(self, session) -> None:
        self.s = session
        self.patches = Patches()
        self.handles = []
        self.suspended = None  # the optimizer whose step runs with the op tracer lifted
        # Learning rates held as tensors (capturable / fused optimizers, or set by the user),
        # copied per step and read in one batch: reading each would wait for the device.
        self.lr_tensors: dict[int, list] = {}

    def record_lr(self, key: int, opt) -> None:
        """Append the first param group's learning rate to the optimizer's record."""
        lr = opt.param_groups[0].get("lr") if opt.param_groups else None
        if isinstance(lr, torch.Tensor):
            pending = self.lr_tensors.setdefault(key, [])
            pending.append(lr.detach().reshape(-1)[:1].clone())  # the scheduler may change it in place
            if len(pending) >= LR_BATCH:
                self.flush_lrs(key)
            return
        self.flush_lrs(key)
        lr = _float(lr)
        if lr is not None:
            self.s.trace.optimizers[key].lrs.append(lr)

    def flush_lrs(self, key: int | None = None) -> None:
        """Read the pending tensor learning rates (all optimizers' when `key` is None)."""
        for k in [key] if key is not None else list(self.lr_tensors):
            pending = self.lr_tensors.pop(k, None)
            if pending:
                self.s.trace.optimizers[k].lrs.extend(torch.cat([t.float() for t in pending]).tolist())

    def install(self) -> None:
        s = self.s
        self.handles = [register_optimizer_step_pre_hook(self._pre),
                        register_optimizer_step_post_hook(self._post)]
        init = Optimizer.__init__

        @functools.wraps(init)
        def __init__(opt, *args, **kwargs):
            init(opt, *args, **kwargs)
            if not tracing():
                s.guard("optimizer init", self._on_init, opt)

        self.patches.patch(Optimizer, "__init__", __init__)
        opt_zero = Optimizer.zero_grad

        @functools.wraps(opt_zero)
        def opt_zero_grad(opt, *args, **kwargs):
            if not tracing():
                s.guard("zero_grad", self._on_zero_grad, opt)
            return opt_zero(opt, *args, **kwargs)

        self.patches.patch(Optimizer, "zero_grad", opt_zero_grad)
        mod_zero = torch.nn.Module.zero_grad

        @functools.wraps(mod_zero)
        def module_zero_grad(module, *args, **kwargs):
            if not tracing():
                s.guard("zero_grad", self._on_zero_grad, None, module)
            return mod_zero(module, *args, **kwargs)

        self.patches.patch(torch.nn.Module, "zero_grad", module_zero_grad)

    def uninstall(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []
        self.patches.restore()

    # ------------------------------------------------------------------ events
    def _on_init(self, opt) -> None:
        if id(opt) in self.s.opts and self.s.opts[id(opt)].ref() is opt:
            return
        register_optimizer(self.s, opt, user_site())

    def _on_zero_grad(self, opt, module=None) -> None:
        s = self.s
        s.trace.zero_grad_calls += 1
        if opt is not None:
            s.opt_state(opt).cleared_all = True
        elif module is not None and s.opts:
            ids = {id(p) for p in module.parameters()}
            for st in s.opts.values():
                st.cleared_ids |= ids
        if s.sampling:
            key = s.opt_state(opt).key if opt is not None else None
            s.trace.events.append(Event("zero_grad", s.tick, key, s.in_step > 0, user_site()))

    def _pre(self, opt, args, kwargs) -> None:
        if tracing():  # a compiled optimizer step: Dynamo inlines global step hooks
            return
        s = self.s
        s.guard("step", self._on_pre, opt)
        s.in_step += 1
        # The optimizer's own arithmetic (dozens of ops per parameter) is none of the op
        # tracer's business: lift it for the step, unless a closure computes the loss inside.
        if (s.sampling and s.ops.pushed and not s.ops.dispatch_depth
                and len(args) <= 1 and kwargs.get("closure") is None):  # args[0] is the optimizer; no closure
            s.ops.suspend()
            self.suspended = opt
        if s.hub.wants("on_step_begin"):
            s.hub.emit("on_step_begin", opt)

    def _post(self, opt, args, kwargs) -> None:
        if tracing():
            return
        s = self.s
        s.in_step = max(0, s.in_step - 1)
        if self.suspended is opt:
            self.suspended = None
            s.ops.resume()
        s.guard("step", self._on_post, opt)
        self._stepped(opt)
        if s.hub.wants("on_step_end"):
            s.hub.emit("on_step_end", opt)

    def _stepped(self, opt) -> None:
        s = self.s
        s.hub.emit("on_step", opt)
        s.advance()

    # ------------------------------------------------------------------ compiled steps
    # Inside `torch.compile`d code the step hooks are compiled away (they check `tracing()`,
    # which Dynamo folds to True), so a step there is seen at the compiled call's boundary:
    # it changed the optimizer's parameters (their version counters) or its step counters.
    def step_signatures(self) -> dict[int, tuple[int, tuple[int, int]]]:
        """id(optimizer) -> (steps counted so far, signature of its state)."""
        found = {}
        for st in self.s.opts.values():
            opt = st.ref()
            if opt is not None:
                found[id(opt)] = (st.steps, _signature(opt))
        return found

    def stepped_since(self, before: dict[int, tuple[int, tuple[int, int]]]) -> list:
        """The optimizers that stepped inside compiled code since `step_signatures()`."""
        stepped = []
        for st in self.s.opts.values():
            opt = st.ref()
            seen = before.get(id(opt)) if opt is not None else None
            if seen is not None and st.steps == seen[0] and _signature(opt) != seen[1]:
                stepped.append(opt)
        return stepped

    def compiled_step(self, opt) -> None:
        """Count a step taken inside compiled code (no gradient or update statistics: the
        compiled code cannot be watched from inside), then finish it as any step."""
        s = self.s
        s.guard("compiled step", self._on_compiled_step, opt)
        self._stepped(opt)

    def _on_compiled_step(self, opt) -> None:
        s = self.s
        st = s.opt_state(opt)
        s.trace.step_calls += 1
        st.steps += 1
        rec = s.trace.optimizers[st.key]
        rec.compiled_steps += 1
        self.record_lr(st.key, opt)
        if s.sampling:
            s.trace.events.append(Event("step", s.tick, st.key, False, user_site()))

    def _on_pre(self, opt) -> None:
        s = self.s
        st = s.opt_state(opt)
        s.trace.step_calls += 1
        rec = s.trace.optimizers[st.key]
        self.record_lr(st.key, opt)
        if not s.sampling:
            return
        lr = _float(opt.param_groups[0].get("lr")) if opt.param_groups else None  # a watched step: read it
        site = user_site()
        s.trace.events.append(Event("step", s.tick, st.key, False, site))
        params = _params(opt)
        current = frozenset(id(p) for p in params)
        if current != st.param_ids:  # add_param_group or a re-built param list
            st.param_ids = current
            rec.param_ids = tuple(id(p) for p in params)
            for p in params:
                s.register_param(p, None)
        if st.steps == 0:
            _record_symmetric(s, params)
        elems = frozen = no_grad = zero_grad = matrices = 0
        stale_elems = checked_elems = 0
        norms = []
        total_sq = 0.0
        param_sq = 0.0
        squares = []  # each parameter's squared norm before the step (the update ratios' denominators)
        snap = st.grad_snapshot if st.snapshot_at == st.steps else None
        grads = [p.grad if p.requires_grad else None for p in params]
        read = _norms([*params, *(g for g in grads if g is not None)])
        grad_norms = iter(read[len(params):])
        for p, g, pn in zip(params, grads, read[:len(params)]):
            n = p.numel()
            elems += n
            squares.append(pn * pn)
            param_sq += squares[-1]
            if not p.requires_grad:
                frozen += n
                continue
            matrices += p.dim() >= 2
            if g is None:
                no_grad += n
                _mark_idle(st, p)
                continue
            gn = next(grad_norms)
            if gn == 0.0:
                no_grad += n
                zero_grad += n
            total_sq += gn * gn
            if p.dim() >= 2:
                norms.append((id(p), gn))
            if snap is not None and st.backwards >= 1:
                ref, version = snap.get(id(p), (None, 0))
                checked_elems += n
                if (ref is not None and ref() is g and g._version != version and not st.cleared_all
                        and id(p) not in st.cleared_ids and not g.is_sparse
                        and g.data_ptr() not in st.zeroed_ptrs):
                    stale_elems += n
        unreached = used = None
        unreached_ids: tuple[int, ...] = ()
        without_grad: tuple[int, ...] = ()
        if st.walked_all and st.hooked_all and st.backwards >= 1 and st.used:
            trainable_used = [pid for pid in st.used if pid in current and
                              (r := s.param_refs.get(pid)) is not None and (t := r()) is not None
                              and t.requires_grad]
            unreached_ids = tuple(pid for pid in trainable_used if pid not in st.reached)
            without_grad = tuple(pid for pid in unreached_ids if pid in st.used_without_grad)
            used = s.trace.elems(trainable_used)
            unreached = s.trace.elems(unreached_ids)
        st.before = None
        if elems - frozen > 0:
            st.before = [(p, sq, _update_sample(p)) for p, sq in zip(params, squares) if p.requires_grad]
            st.frozen_sq = sum(sq for p, sq in zip(params, squares) if not p.requires_grad)
        model_elems, model_frozen, model_matrices, model_trainable = _model_counts(s)
        st.pending = StepRecord(
            tick=s.tick, opt=st.key, site=site, elems=elems, frozen_elems=frozen, trainable_matrices=matrices,
            no_grad_elems=no_grad, zero_grad_elems=zero_grad, backwards_since_step=st.backwards,
            checked_elems=checked_elems,
            stale_elems=stale_elems,
            unreached_elems=unreached, used_elems=used, unreached_params=unreached_ids,
            unreached_without_grad=without_grad, hand_updated=tuple(st.hand_updated & set(unreached_ids)),
            grad_norm=math.sqrt(total_sq), param_norm=math.sqrt(param_sq), lr=lr, layer_grad_norms=tuple(norms),
            model_elems=model_elems, model_frozen_elems=model_frozen, model_trainable_matrices=model_matrices,
            model_trainable_params=model_trainable)

    def _on_post(self, opt) -> None:
        s = self.s
        st = s.opt_state(opt)
        st.steps += 1
        if st.steps == 1:  # one more optimizer steps: its steps are other ticks, watched together
            s.stepping_opts = min(MAX_WIDTH, sum(1 for o in s.opts.values() if o.steps))
        rec = st.pending
        st.pending = None
        if rec is not None:
            if st.before is not None:
                d2, n2 = 0.0, st.frozen_sq
                layers = []
                moved = _norms(_sampled(p, index) - before for p, _, (index, before) in st.before)
                for (p, n, (index, before)), dn in zip(st.before, moved):
                    d = dn * dn * (p.numel() / max(1, before.numel()))
                    d2, n2 = d2 + d, n2 + n
                    if p.dim() >= 2 and n > 0:
                        layers.append((id(p), math.sqrt(d / n)))
                rec.layer_update_ratios = tuple(layers)
                rec.update_ratio = math.sqrt(d2) / math.sqrt(n2) if n2 > 0 else None
            s.trace.steps.append(rec)
        st.before = None
        st.backwards = 0
        st.reached = set()
        st.used = set()
        st.used_without_grad = set()
        st.walked_all = True
        st.hooked_all = s.is_sampled(s.tick + 1)
        if st.hooked_all or s.sampling:
            st.grad_snapshot = {id(p): (weakref.ref(p.grad) if p.grad is not None else None,
                                        p.grad._version if p.grad is not None else 0)
                                for p in _params(opt)}
            st.snapshot_at = st.steps
        else:
            st.grad_snapshot = None
        st.cleared_all = False
        st.cleared_ids = set()
        st.zeroed_ptrs = set()
