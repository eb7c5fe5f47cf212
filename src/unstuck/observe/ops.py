"""Op-level tracing of loss computations, on sampled ticks only.

A TorchFunctionMode sees every torch function call with its arguments. It is the
expensive instrument, so it is pushed for sampled windows and popped in between,
and its per-call work is one dict lookup unless the op is one we study:
losses, softmax-like activations, graph cuts, and elementwise ops whose operands
broadcast into a bigger array.

It records facts (shapes, sites, statistics, which axes the user inserted); whether
they are a bug is for the rules to judge. The one pre-filter on broadcasts (both
operands are stretched) is implied by every verdict that reads them.
"""
from __future__ import annotations

import math
import sys
import weakref

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from unstuck.observe.autograd import walk_graph
from unstuck.observe.callsite import call_as, caller_of, is_user, user_site
from unstuck.observe.shapes import broadcast_shape
from unstuck.observe.stats import all_finite, value_range
from unstuck.observe.tracing import tracing
from unstuck.trace import (ActivationRecord, BroadcastRecord, CutRecord, LossCall, ReshapeRecord, RowPick,
                           Shape, SoftmaxRecord)

T = torch.Tensor

ELEMENTWISE_LOSSES = {F.mse_loss: "mse_loss", F.l1_loss: "l1_loss", F.smooth_l1_loss: "smooth_l1_loss",
                      F.huber_loss: "huber_loss", F.binary_cross_entropy: "binary_cross_entropy",
                      F.binary_cross_entropy_with_logits: "binary_cross_entropy_with_logits",
                      F.kl_div: "kl_div", F.poisson_nll_loss: "poisson_nll_loss",
                      F.soft_margin_loss: "soft_margin_loss"}
CLASS_LOSSES = {F.cross_entropy: "cross_entropy", F.nll_loss: "nll_loss"}
BINARY_OPS = {T.__sub__: "-", T.__rsub__: "-", torch.sub: "-", T.sub: "-", torch.subtract: "-",
              T.__add__: "+", T.__radd__: "+", torch.add: "+", T.add: "+",
              T.__mul__: "*", T.__rmul__: "*", torch.mul: "*", T.mul: "*",
              T.__truediv__: "/", T.__rtruediv__: "/", torch.div: "/", T.div: "/"}
FULL_REDUCTIONS = {T.mean: "mean", torch.mean: "mean", T.sum: "sum", torch.sum: "sum"}
ACTIVATIONS = {F.softmax: "softmax", torch.softmax: "softmax", T.softmax: "softmax",
               F.log_softmax: "log_softmax", torch.log_softmax: "log_softmax", T.log_softmax: "log_softmax",
               torch.sigmoid: "sigmoid", T.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
               torch.tanh: "tanh", T.tanh: "tanh", F.tanh: "tanh",
               torch.relu: "relu", T.relu: "relu", F.relu: "relu", F.relu6: "relu6",
               F.softplus: "softplus", F.elu: "elu", F.leaky_relu: "leaky_relu", F.gelu: "gelu", F.silu: "silu"}
RELU_LIKE = frozenset({"relu", "relu6"})
NORMALISERS = frozenset({"softmax", "log_softmax"})
LOGS = {torch.log: "log", T.log: "log"}
ZEROING = {T.zero_, T.fill_, torch._foreach_zero_}
VIEWS = {T.squeeze, torch.squeeze, T.unsqueeze, torch.unsqueeze, T.view, T.reshape, torch.reshape,
         T.flatten, torch.flatten, T.contiguous, T.float, T.double, T.to}
UNSQUEEZES = frozenset({T.unsqueeze, torch.unsqueeze})
RESHAPES = frozenset({T.view, T.reshape, torch.reshape})
WALKS_PER_SITE = 8  # graph walks per cut site and sampled step (see _record_cut)
ARRAY_EXITS = frozenset({T.numpy, T.tolist, T.__array__})  # a followed cut value leaving torch as an array
MAX_CUT_OUTS = 20_000  # tensors followed from cuts at once (see _mark_cut)
CUTS = {T.detach: "detach()", T.data.__get__: ".data", T.item: ".item()", T.numpy: ".numpy()",
        T.tolist: ".tolist()"}
LEAF_CUTS = (T.detach, T.data.__get__)  # on a parameter itself, inside a module's forward
# Elementwise functions studied for nothing else, delivered to the hub's on_op event (with every
# studied op above) so that an observer can follow the ops from a model's output to its loss;
# and Tensor.backward, which ends such a chain.
ON_OP_ONLY = frozenset({T.abs, torch.abs, T.__abs__, T.neg, torch.neg, T.__neg__, T.exp, torch.exp, T.sqrt,
                        torch.sqrt, T.square, torch.square, T.pow, torch.pow, T.__pow__, T.backward})
# (torch.from_numpy takes no requires_grad, and a function mode never sees it called anyway:
# `torch.from_numpy(a).requires_grad_()` is caught at requires_grad_)
REWRAPS = {torch.tensor: "torch.tensor(...)", T.requires_grad_: "requires_grad_()",
           torch.as_tensor: "torch.as_tensor(...)"}

MAX_PAIRS = 128  # (prediction, target) pairs kept per training loss call, for the report's picture
MAX_CLASSES = 50  # classes counted per training loss call, for the report's picture
MAX_SOFTMAX_RECORDS = 2000  # softmax calls kept per run (distinct site, axis, shape and tick)


class _Mode(TorchFunctionMode):
    def __init__(self, observer: "OpObserver") -> None:
        super().__init__()
        self.obs = observer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        obs = self.obs
        # Left on the stack by a window change we could not apply, or inside code that is
        # compiled, exported, traced or transformed: inert.
        # Calls are made through `call_as`, so torch's warnings keep their place.
        if not obs.pushed or tracing():
            return call_as(caller_of(func, sys._getframe(1)), func, args, kwargs)
        obs.dispatch_depth += 1
        caller = caller_of(func, sys._getframe(1))
        try:
            out = call_as(caller, func, args, kwargs)
        finally:
            obs.dispatch_depth -= 1
        if obs.s.busy:
            return out
        try:
            handler = obs.handlers.get(func)
        except TypeError:  # an unhashable callable
            handler = None
        if handler is not None or obs.marks or obs.cut_outs or obs.cut_stores:
            obs.grad_enabled = torch.is_grad_enabled()
            obs.caller = caller
            obs.s.guard("op tracing", obs.on_call, handler, func, args, kwargs, out)
        return out


class _Cut:
    """One occurrence of a tensor cut, followed: its site's record, and the parameters behind
    this value. A site's record is fed by the occurrences that feed a gradient pass, so one
    stop-gradient helper used for a training target and for logging an unused head tells the
    two apart (CutRecord.fed_behind)."""

    __slots__ = ("rec", "behind")

    def __init__(self, rec: CutRecord, behind: set[int]) -> None:
        self.rec, self.behind = rec, behind

    def feed(self) -> None:
        self.rec.fed = True
        self.rec.fed_behind |= self.behind


def _tensors_in(*groups):
    """The tensors among the values in `groups`, and in lists/tuples among them (one level)."""
    for group in groups:
        for v in group:
            if isinstance(v, torch.Tensor):
                yield v
            elif isinstance(v, (list, tuple)):
                for w in v:
                    if isinstance(w, torch.Tensor):
                        yield w


def _storage(t: torch.Tensor) -> int | None:
    """Where a tensor's memory starts (shared by its views and `.data` aliases); None for a
    tensor without plain storage (sparse, a subclass)."""
    try:
        return t.untyped_storage().data_ptr() if type(t) is torch.Tensor and t.layout is torch.strided else None
    except RuntimeError:  # a tensor with no storage to point at
        return None


def _nothing(func, args, kwargs, out) -> None:
    """The handler of the ops that only the hub's on_op event delivers."""


def _compiled_autograd() -> bool:
    """Compiled autograd is (or may be) on: a hook on a graph node would change the captured
    backward graph of the watched steps, and cost the user a compilation."""
    ca = sys.modules.get("torch._dynamo.compiled_autograd")
    config = sys.modules.get("torch._dynamo.config")
    return bool((ca is not None and getattr(ca, "compiled_autograd_enabled", False))
                or (config is not None and getattr(config, "compiled_autograd", False)))


class OpObserver:
    def __init__(self, session) -> None:
        self.s = session
        self.mode = _Mode(self)
        self.pushed = False
        # >0 while a call dispatched through the mode runs; the mode is then temporarily off
        # the stack, so it must not be pushed or popped (see Session.advance).
        self.dispatch_depth = 0
        self.grad_enabled = True  # grad mode of the call being studied (handlers run under no_grad)
        self.caller = None  # the frame that made the call being studied
        self.seen_reshapes: set[tuple] = set()
        self.marks: dict[int, tuple[weakref.ref, BroadcastRecord]] = {}
        # tensors made from a `.detach()`/`.data` cut this window, and from those by any op: the
        # cut sites they come from (CutRecord.fed: does the cut value reach a gradient pass?)
        self.cut_outs: dict[int, tuple[weakref.ref, tuple[_Cut, ...]]] = {}
        self.cut_stores: dict[int, tuple[_Cut, ...]] = {}  # memory (by _storage) written with cut values
        self.cut_overflow = False  # too many followed tensors alive this window: cuts count as fed
        # tensors with size-1 axes the user inserted (x[:, None], unsqueeze, view): axes counted from the right
        self.inserted: dict[int, tuple[weakref.ref, frozenset[int]]] = {}
        # this window's broadcast records by (tick, site, op, shapes): one record per line and step
        self.broadcast_seen: dict[tuple, BroadcastRecord] = {}
        self.producers: dict[int, tuple[weakref.ref, str, int | None, int]] = {}
        self.cuts: dict[tuple[str, int | None, str | None], CutRecord] = {}  # by (op, line, file)
        self.walks_tick, self.walks = -1, {}  # graph walks per cut site on the current step
        self.walked: set[int] = set()  # the parameters behind the cut _record_cut saw last
        self.derived_tick, self.derived = -1, {}  # values made from a backpropagated loss this tick (id -> ref)
        self.seen_softmaxes: set[tuple] = set()
        self.handlers = {}
        for f in ELEMENTWISE_LOSSES:
            self.handlers[f] = self._loss
        for f in CLASS_LOSSES:
            self.handlers[f] = self._loss
        for f in BINARY_OPS:
            self.handlers[f] = self._binary
        for f in FULL_REDUCTIONS:
            self.handlers[f] = self._reduction
        for f in ACTIVATIONS:
            self.handlers[f] = self._activation
        for f in VIEWS:
            self.handlers[f] = self._view
        self.handlers[T.__getitem__] = self._index
        for f in (T.gather, torch.gather):
            self.handlers[f] = self._gather
        for f in LOGS:
            self.handlers[f] = self._log
        for f in ZEROING:
            self.handlers[f] = self._zeroing
        for f in CUTS:
            self.handlers[f] = self._cut
        for f in REWRAPS:
            self.handlers[f] = self._rewrap

    # ------------------------------------------------------------ push / pop
    # The mode goes to the *bottom* of the function-mode stack: a user's mode entered before a
    # sampled window then still sits on top, so its own `with` block pops itself, not ours, and
    # the stack is always as the user left it. Around compiled code the mode is lifted off the
    # stack (`suspend`/`resume`), so Dynamo never sees it.
    def install(self) -> None:
        if self.s.hub.wants("on_op"):  # ops studied for on_op's listeners only: only they pay
            for f in ON_OP_ONLY:
                self.handlers.setdefault(f, _nothing)
        if not self.pushed:
            self.pushed = True
            if not self.s.compiled_depth:
                self._push()

    def uninstall(self) -> None:
        if not self.pushed:
            return
        self.pushed = False
        self.marks.clear()
        self.cut_outs.clear()
        self.cut_stores.clear()
        self.cut_overflow = False
        self.producers.clear()
        self.inserted.clear()
        self.broadcast_seen.clear()
        self.seen_reshapes.clear()
        self._pop()

    def suspend(self) -> None:
        if self.pushed:
            self._pop()

    def resume(self) -> None:
        if self.pushed:
            self._push()

    def _on_stack(self) -> bool:
        n = torch._C._len_torch_function_stack()
        return any(torch._C._get_function_stack_at(i) is self.mode for i in range(n))

    def _push(self) -> None:
        if self._on_stack():
            return
        above = [torch._C._pop_torch_function_stack() for _ in range(torch._C._len_torch_function_stack())]
        torch._C._push_on_torch_function_stack(self.mode)
        for m in reversed(above):
            torch._C._push_on_torch_function_stack(m)

    def _pop(self) -> None:
        if not self._on_stack():
            return  # popped already, or temporarily off the stack while it dispatches
        above = []
        while True:  # lift the modes above ours, then put them back
            top = torch._C._pop_torch_function_stack()
            if top is self.mode:
                break
            above.append(top)
        for m in reversed(above):
            torch._C._push_on_torch_function_stack(m)

    # ------------------------------------------------------------ dispatch
    def on_call(self, handler, func, args, kwargs, out) -> None:
        if (self.cut_outs or self.cut_stores) and not self.s.in_step:  # (an optimizer's own ops: not followed)
            self._follow_cut(func, args, kwargs, out)
        if handler is not None:
            if self.s.hub.handlers["on_op"]:
                self.s.hub.emit("on_op", func, args, kwargs, out)
            handler(func, args, kwargs, out)
            if handler is self._reduction or handler is self._binary:
                return
        if self.marks and isinstance(out, torch.Tensor):
            self._propagate_mark(args, out)

    # ------------------------------------------------------------ broadcasting
    def _binary(self, func, args, kwargs, out) -> None:
        if len(args) < 2:
            return
        a, b = args[0], args[1]
        if self.marks and isinstance(out, torch.Tensor):
            if self._propagate_mark(args, out):
                return
        if self.s.backwarded and self.grad_enabled and isinstance(out, torch.Tensor) and out.grad_fn is not None:
            self._check_accumulation(a, b, out)
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and isinstance(out, torch.Tensor)):
            return
        if a.shape == b.shape:
            return
        out_shape = tuple(out.shape)
        a_axes, b_axes = stretched_axes(tuple(a.shape), out_shape), stretched_axes(tuple(b.shape), out_shape)
        if not a_axes or not b_axes:  # pre-filter: a mismatch stretches both operands
            return
        if func in (T.__rsub__, T.__rtruediv__):
            a, b, a_axes, b_axes = b, a, b_axes, a_axes
        rec = self._broadcast(BINARY_OPS[func], a, b, out_shape, user_site(), False,
                              a_axes <= self._inserted(a), b_axes <= self._inserted(b))
        self.marks[id(out)] = (weakref.ref(out), rec)

    def _broadcast(self, op: str, a, b, out_shape: Shape, site, in_loss_fn: bool, a_explicit: bool,
                   b_explicit: bool) -> BroadcastRecord:
        """The record of this broadcast, one per line and step (later calls on the line reuse it)."""
        key = (self.s.tick, site, op, tuple(a.shape), tuple(b.shape), a.requires_grad, b.requires_grad, a_explicit,
               b_explicit)
        rec = self.broadcast_seen.get(key)
        if rec is None:
            rec = BroadcastRecord(tick=self.s.tick, op=op, a_shape=tuple(a.shape), b_shape=tuple(b.shape),
                                  out_shape=out_shape, site=site, in_loss_fn=in_loss_fn,
                                  a_requires_grad=a.requires_grad, b_requires_grad=b.requires_grad,
                                  a_explicit=a_explicit, b_explicit=b_explicit)
            self.broadcast_seen[key] = rec
            self.s.trace.broadcasts.append(rec)
        return rec

    def _inserted(self, t) -> frozenset[int]:
        entry = self.inserted.get(id(t))
        if entry is None or entry[0]() is not t:
            return frozenset()
        return entry[1]

    def _check_accumulation(self, a, b, out) -> None:
        """`running = running + loss` after `loss.backward()`: a value of this step's
        backpropagated loss (the loss, or made from it this step: `loss * n`) added to a tensor
        that has a graph of its own from an earlier step (the accumulator, which then holds
        every step's graph). The sum of two losses both backpropagated this step (`err =
        err_real + err_fake`, for the log) holds only this step's graphs."""
        current = [self._of_this_loss(t) for t in (a, b)]
        if not any(current):
            return
        if self.derived_tick != self.s.tick:
            self.derived_tick, self.derived = self.s.tick, {}
        self.derived[id(out)] = weakref.ref(out)
        if all(current):
            return
        other = b if current[0] else a
        if isinstance(other, torch.Tensor) and other.grad_fn is not None:
            site = user_site()
            if not any(r.site == site for r in self.s.trace.loss_accumulations):
                self.s.trace.loss_accumulations.append(CutRecord(tick=self.s.tick, op="+", site=site))

    def _of_this_loss(self, t) -> bool:
        """`t` is a backpropagated loss, or was made from one by arithmetic this step."""
        if not isinstance(t, torch.Tensor) or t.grad_fn is None:
            return False
        entry = self.s.backwarded.get(id(t))
        if entry is not None and entry() is t:
            return True
        ref = self.derived.get(id(t)) if self.derived_tick == self.s.tick else None
        return ref is not None and ref() is t

    def _marked(self, t) -> BroadcastRecord | None:
        if not isinstance(t, torch.Tensor):
            return None
        entry = self.marks.get(id(t))
        if entry is None or entry[0]() is not t:
            return None
        return entry[1]

    def _propagate_mark(self, args, out) -> bool:
        for a in args:
            rec = self._marked(a)
            if rec is not None and out.numel() == a.numel():
                self.marks[id(out)] = (weakref.ref(out), rec)
                return True
        return False

    def _reduction(self, func, args, kwargs, out) -> None:
        if not args or not isinstance(out, torch.Tensor):
            return
        rec = self._marked(args[0])
        if rec is None:
            return
        if out.dim() == 0:
            rec.fully_reduced = True
        else:  # a partial reduction (`.mean(0)`, `.sum(1)`) still carries the broadcast into the loss
            self.marks[id(out)] = (weakref.ref(out), rec)

    # ------------------------------------------------------------ losses
    def _gradient_taken(self, call: LossCall):
        """A hook for the loss's graph node: it runs when a gradient pass goes through the loss,
        and notes which kind of pass (see LossCall.backprop). Nothing but an attribute is set,
        and the hook holds the session weakly (a graph the user keeps does not keep it)."""
        session = weakref.ref(self.s)

        def taken(grad_outputs):
            s = session()
            if s is not None and s.gradient_pass > call.backprop:
                call.backprop = s.gradient_pass

        return taken

    def _loss(self, func, args, kwargs, out) -> None:
        pred = args[0] if args else kwargs.get("input")
        target = args[1] if len(args) > 1 else kwargs.get("target")
        if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
            return
        self.s.hub.emit("on_loss", func, args, kwargs, out)
        name = ELEMENTWISE_LOSSES.get(func) or CLASS_LOSSES[func]
        site = user_site()
        p = pred.detach()
        y = target.detach()
        elementwise = func in ELEMENTWISE_LOSSES
        value = float(out.detach()) if isinstance(out, torch.Tensor) and out.numel() == 1 else None
        pf = p.float()
        # min and max in one reduction each: NaN and Inf propagate, so they tell finiteness too
        pred_range = value_range(pf)
        target_range = value_range(y.float()) if y.is_floating_point() or elementwise else None
        call = LossCall(
            tick=self.s.tick, fn=name, site=site, pred_shape=tuple(p.shape), target_shape=tuple(y.shape),
            value=value,
            pred_finite=pred_range is None or all(map(math.isfinite, pred_range)),
            target_finite=(target_range is None or all(map(math.isfinite, target_range))
                           if y.is_floating_point() else True),
            pred_std=None, target_std=None, target_mean=None, target_min=None, target_max=None,
            pred_min=None, pred_max=None, baseline=None, training=self.grad_enabled,
            producer_site=self.s.sites.site_of(pred))
        n = p.shape[0] if p.dim() else 1
        if call.pred_finite and pred_range is not None:
            call.pred_min, call.pred_max = pred_range
            call.pred_in_unit = call.pred_min >= 0.0 and call.pred_max <= 1.0
            call.pred_mean = float(pf.mean())
        if elementwise and call.target_finite and target_range is not None:
            yf = y.float()
            call.target_min, call.target_max = target_range
            if n >= 2 and yf.numel() > 1:
                std, mean = torch.std_mean(yf)
                call.target_std, call.target_mean = float(std), float(mean)
            else:
                call.target_mean = float(yf.mean())
                call.target_std = 0.0 if n >= 2 else None
            if n >= 2 and call.pred_finite and pf.numel() > 1:
                call.pred_std = float(pf.std())
            call.baseline = constant_baseline(name, yf)
            lo, hi = target_range  # the shares below are 0 unless the range says otherwise
            call.target_share_negative = float((yf < 0).float().mean()) if lo < 0 else 0.0
            call.target_share_outside_unit = (float(((yf < 0) | (yf > 1)).float().mean())
                                              if lo < 0 or hi > 1 else 0.0)
            call.target_share_outside_pm1 = (float((yf.abs() > 1).float().mean())
                                             if lo < -1 or hi > 1 else 0.0)
        if not elementwise and call.pred_finite and p.dim() >= 2 and n >= 1:
            rows = pf.movedim(1, -1)
            sums = rows.sum(-1)
            if sums.numel():
                call.row_sum_error = float((sums - 1).abs().max())
                call.row_exp_sum_error = float((rows.exp().sum(-1) - 1).abs().max())
            if not y.is_floating_point():
                classes = pf.argmax(1).flatten()
                counts = torch.bincount(classes)
                call.majority_fraction = float(counts.max()) / max(1, classes.numel())
                labels = y[y >= 0].flatten()
                if classes.numel() == y.numel() and labels.numel():
                    kept = y.flatten() >= 0  # ignore_index (-100) rows are no sample
                    call.accuracy = float((classes[kept] == y.flatten()[kept]).float().mean())
                if labels.numel():
                    target_counts = torch.bincount(labels)
                    call.target_majority = float(target_counts.max()) / labels.numel()
                    if call.training:
                        call.class_counts = _class_counts(counts, target_counts)
                call.baseline = constant_baseline(name, y)
        if name.startswith("binary_cross_entropy") and call.pred_finite and p.numel() >= 2:
            threshold = 0.0 if name.endswith("logits") else 0.5
            pos = float((pf > threshold).float().mean())
            call.majority_fraction = max(pos, 1 - pos)
            if call.target_finite and y.numel():
                if p.shape == y.shape:
                    call.accuracy = float(((pf > threshold) == (y.float() > 0.5)).float().mean())
                rate = float((y.float() > 0.5).float().mean())
                call.target_majority = max(rate, 1 - rate)
            if call.target_finite:
                call.baseline = constant_baseline(name, y.float())
                soft = y.float().clamp(1e-7, 1 - 1e-7)
                call.floor = float(-(soft * soft.log() + (1 - soft) * (1 - soft).log()).mean())
        if elementwise and call.training and call.pred_finite and call.target_finite:
            call.pairs = _pairs(pf, y)
        _match_reduction(call, func, args, kwargs, p, y)
        prod = self._producer(pred)
        if prod is not None:
            call.producer, call.producer_dim, call.producer_ndim = prod
        self.s.trace.losses.append(call)
        if isinstance(out, torch.Tensor) and out.grad_fn is not None and not _compiled_autograd():
            out.grad_fn.register_prehook(self._gradient_taken(call))
        if elementwise and p.shape != y.shape:
            result_shape = broadcast_shape(tuple(p.shape), tuple(y.shape))
            if result_shape is None:
                return
            rec = self._broadcast(name, pred, target, result_shape, site, True, False, False)
            if isinstance(out, torch.Tensor) and out.dim() == 0:
                rec.fully_reduced = True
            elif isinstance(out, torch.Tensor):  # reduction="none": reduced later, or not at all
                self.marks[id(out)] = (weakref.ref(out), rec)

    # ------------------------------------------------------------ activations
    def _activation(self, func, args, kwargs, out) -> None:
        if not isinstance(out, torch.Tensor) or not args or not isinstance(args[0], torch.Tensor):
            return
        name = ACTIVATIONS[func]
        dim = kwargs.get("dim", args[1] if len(args) > 1 and isinstance(args[1], int) else None)
        self.producers[id(out)] = (weakref.ref(out), name, dim, args[0].dim())
        defined_at = self.s.sites.note_output(out)
        if name in NORMALISERS and self.grad_enabled:
            self._record_softmax(name, dim, tuple(args[0].shape))
        if name in RELU_LIKE and out.dim() >= 2 and out.shape[0] >= 1:
            flat = out.detach().reshape(out.shape[0], -1)
            active = flat.amax(dim=0) > 0  # (any(dim=0) is ten times slower on CPU)
            units = active.numel()
            dead = 1.0 - float(active.float().mean())
            if dead > 0 and not all_finite(flat):  # NaN is not a dead unit: not judged
                return
            self.s.trace.activations.append(ActivationRecord(tick=self.s.tick, kind=name, site=user_site(),
                                                             dead_fraction=dead, units=units, batch=out.shape[0],
                                                             training=self.grad_enabled, defined_at=defined_at))

    def _record_softmax(self, name: str, dim, shape) -> None:
        ndim = len(shape)
        if dim is None:  # torch's implicit choice (F._get_softmax_dim)
            dim = 0 if ndim in (0, 1, 3) else 1
        if not isinstance(dim, int) or ndim == 0:
            return
        dim = dim % ndim
        site = user_site()
        key = (name, dim, shape, site.file if site else None, site.line if site else None, self.s.tick)
        if key in self.seen_softmaxes or len(self.seen_softmaxes) >= MAX_SOFTMAX_RECORDS:
            return
        self.seen_softmaxes.add(key)
        self.s.trace.softmaxes.append(SoftmaxRecord(tick=self.s.tick, fn=name, dim=dim, shape=shape, site=site))

    def _producer(self, t) -> tuple[str, int | None, int] | None:
        entry = self.producers.get(id(t))
        if entry is None or entry[0]() is not t:
            return None
        return entry[1], entry[2], entry[3]

    def _view(self, func, args, kwargs, out) -> None:
        if not args or not isinstance(out, torch.Tensor) or not isinstance(args[0], torch.Tensor):
            return
        prod = self._producer(args[0])
        if prod is not None:
            self.producers[id(out)] = (weakref.ref(out), *prod)
        axes = inserted_axes(func, args, kwargs, tuple(out.shape))
        if axes:
            self.inserted[id(out)] = (weakref.ref(out), axes)
        if func in RESHAPES and self.grad_enabled:
            self._permuting_reshape(func, args[0], out)

    def _permuting_reshape(self, func, x, out) -> None:
        """A reshape by the user's own code that moves an axis in memory order (the facts for
        `view-as-transpose`): see `moved_axis`. Not on parameters."""
        before, after = tuple(x.shape), tuple(out.shape)
        if (len(before) < 2 or len(after) < 2 or before == after or (x.is_leaf and x.requires_grad)
                or self.caller is None or not is_user(self.caller.f_code.co_filename)):
            return
        moved = moved_axis(before, after)
        if moved is None:
            return
        site = user_site()
        key = (self.s.tick, site, before, after)
        if key in self.seen_reshapes:
            return
        self.seen_reshapes.add(key)
        fn = "view" if func is T.view else "reshape"
        self.s.trace.reshapes.append(ReshapeRecord(self.s.tick, fn, before, after, site, moved))

    def _index(self, func, args, kwargs, out) -> None:
        """`x[:, None]`: remember the axes the user inserted; `p[arange(N), y]`: a per-row pick."""
        if len(args) > 1 and isinstance(out, torch.Tensor) and isinstance(args[0], torch.Tensor):
            index = args[1]
            if (self.grad_enabled and isinstance(index, tuple) and len(index) == 2 and args[0].dim() == 2
                    and all(isinstance(i, torch.Tensor) and i.dim() == 1 and not i.is_floating_point()
                            and i.dtype is not torch.bool and len(i) == args[0].shape[0] for i in index)):
                self._row_pick(args[0])
            if index is None or (isinstance(index, tuple) and any(i is None for i in index)):
                axes = inserted_axes(func, args, kwargs, tuple(out.shape))
                if axes:
                    self.inserted[id(out)] = (weakref.ref(out), axes)

    def _gather(self, func, args, kwargs, out) -> None:
        """`p.gather(1, y[:, None])`: one value per row picked by an integer label."""
        x = args[0] if args else None
        dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
        index = kwargs.get("index", args[2] if len(args) > 2 else None)
        if (self.grad_enabled and isinstance(x, torch.Tensor) and x.dim() == 2 and dim in (1, -1)
                and isinstance(index, torch.Tensor) and tuple(index.shape) == (x.shape[0], 1)):
            self._row_pick(x)

    def _row_pick(self, x) -> None:
        if x.shape[0] < 2 or x.shape[1] < 2:
            return
        picks = self.s.trace.row_picks
        if picks and picks[-1].tick == self.s.tick and picks[-1].rows == x.shape[0]:
            return
        picks.append(RowPick(self.s.tick, int(x.shape[0]), user_site()))

    def _zeroing(self, func, args, kwargs, out) -> None:
        """`p.grad.zero_()`, `p.grad.data.zero_()`, `fill_(0)`, `torch._foreach_zero_(grads)`."""
        if not args:
            return
        if func is T.fill_ and not (len(args) > 1 and isinstance(args[1], (int, float)) and args[1] == 0):
            return
        targets = args[0] if isinstance(args[0], (list, tuple)) else [args[0]]
        self.s.note_zeroed(targets)

    def _log(self, func, args, kwargs, out) -> None:
        """log(softmax(x)) normalises like log_softmax(x)."""
        if args and isinstance(out, torch.Tensor):
            prod = self._producer(args[0])
            if prod is not None and prod[0] == "softmax":
                self.producers[id(out)] = (weakref.ref(out), "log_softmax", prod[1], prod[2])

    # ------------------------------------------------------------ graph cuts
    def _cut(self, func, args, kwargs, out) -> None:
        t = args[0] if args else None
        if (func in LEAF_CUTS and isinstance(t, torch.Tensor) and t.grad_fn is None and t.requires_grad
                and self.grad_enabled and self.s.depth > 0):
            rec = self._record_cut(CUTS[func], t)  # `self.weight.data` in a module's forward: the parameter cut off
        elif isinstance(t, torch.Tensor) and t.grad_fn is not None and self.grad_enabled:
            if func is T.item and (entry := self.s.backwarded.get(id(t))) is not None and entry() is t:
                return  # `loss.item()` after loss.backward(): logging, no cut
            rec = self._record_cut(CUTS[func], t)
        else:
            return
        if isinstance(out, torch.Tensor):  # a tensor cut: where its value goes is followed
            rec.followed = True
            carried = self._cuts_of(out)  # a value made from earlier cut values, cut again: it carries those too
            self._mark_cut(out, (*carried, _Cut(rec, self.walked)))

    def _mark_cut(self, out: torch.Tensor, recs: tuple, written: bool = False) -> None:
        """`out` carries the values of the cuts `recs`; `written` (an in-place write, maybe into
        a view or a `.data` alias of the tensor the loss reads) marks its memory too."""
        if self.cut_overflow:
            for cut in recs:
                cut.feed()
            return
        if len(self.cut_outs) >= MAX_CUT_OUTS:  # drop the tensors gone since, at most once per window
            self.cut_outs = {k: v for k, v in self.cut_outs.items() if v[0]() is not None}
            if len(self.cut_outs) >= MAX_CUT_OUTS // 2:  # too many alive to follow: the cuts count, as
                self.cut_overflow = True  # if they fed the loss
                for held in (*(entry[1] for entry in self.cut_outs.values()), *self.cut_stores.values()):
                    for cut in held:
                        cut.feed()
                for cut in recs:
                    cut.feed()
                self.cut_outs.clear()
                self.cut_stores.clear()
                return
        self.cut_outs[id(out)] = (weakref.ref(out), recs)
        if written and (ptr := _storage(out)) is not None:
            self.cut_stores[ptr] = recs

    def _follow_cut(self, func, args, kwargs, out) -> None:
        """A value made from a cut value carries its cut sites (any op: arithmetic, a layer, a
        concatenation, a write into a buffer, a view of it, or a `.data` alias); one that leaves
        torch as an array can no longer be followed and counts as fed. (A Python number,
        `.item()`, is what logging takes: not followed further.)"""
        recs: tuple = ()
        for a in _tensors_in(args, kwargs.values()):
            recs += tuple(r for r in self._cuts_of(a) if r not in recs)
        if not recs:
            return
        if func in ARRAY_EXITS:  # on as NumPy/lists (`np.clip(z.detach().numpy())`): out of sight,
            for cut in recs:  # so it may well come back into the loss
                cut.feed()
        for o in _tensors_in((out,)):
            self._mark_cut(o, recs, written=bool(args) and o is args[0])
        if out is None and args and isinstance(args[0], torch.Tensor):  # written into: `buf[:, :k] = h`
            self._mark_cut(args[0], recs, written=True)

    def follow_opaque(self, args, kwargs, out) -> None:
        """A call whose own ops the mode does not see (compiled code, a TorchScript module): its
        outputs carry the cuts of its inputs."""
        if self.cut_outs or self.cut_stores:
            self._follow_cut(None, args, kwargs or {}, out)

    def note_gradient_roots(self, roots) -> None:
        """A gradient pass from `roots`: the cuts whose values they were made from fed it."""
        for t in roots:
            for cut in self._cuts_of(t) if isinstance(t, torch.Tensor) else ():
                cut.feed()

    def _cuts_of(self, t: torch.Tensor) -> tuple:
        """The cut sites whose values `t` carries: itself made from them, or its memory written
        with them (a buffer, through a view or a `.data` alias)."""
        entry = self.cut_outs.get(id(t))
        if entry is not None and entry[0]() is t:
            return entry[1]
        return self.cut_stores.get(_storage(t), ()) if self.cut_stores else ()

    def _rewrap(self, func, args, kwargs, out) -> None:
        if func is T.requires_grad_:
            t = args[0] if args else None
            flag = args[1] if len(args) > 1 else kwargs.get("requires_grad", True)
            if isinstance(t, torch.Tensor) and flag and t.grad_fn is None and t.dim() == 0:
                self._record_cut(REWRAPS[func])
        elif kwargs.get("requires_grad") and isinstance(out, torch.Tensor) and out.dim() == 0:
            self._record_cut(REWRAPS[func])

    def _record_cut(self, op: str, t: torch.Tensor | None = None) -> CutRecord:
        """One record per cut site; the parameters behind it (in the cut tensor's graph) are
        gathered from up to WALKS_PER_SITE occurrences a sampled step: one line in a loop over
        blocks, or a helper called on several models, cuts different layers each time."""
        site = user_site()
        key = (op, site.line if site else None, site.file if site else None)
        rec = self.cuts.get(key)
        if rec is None:
            rec = self.cuts[key] = CutRecord(tick=self.s.tick, op=op, site=site)
            self.s.trace.cuts.append(rec)
        if t is None:
            return rec
        if self.walks_tick != self.s.tick:
            self.walks_tick, self.walks = self.s.tick, {}
        n = self.walks[key] = self.walks.get(key, 0) + 1
        # the parameters behind this occurrence (beyond WALKS_PER_SITE a step: the site's, as a bound)
        self.walked = {id(p) for p in walk_graph([t])[0]} if n <= WALKS_PER_SITE else rec.behind
        rec.behind |= self.walked
        return rec


# Positions of the re-weighting arguments, as the functional losses take them
WEIGHT_ARGS = {"cross_entropy": 2, "nll_loss": 2, "binary_cross_entropy": 2, "binary_cross_entropy_with_logits": 2}


def _match_reduction(call: LossCall, func, args, kwargs, p, y) -> None:
    """Make the constant-prediction reference comparable with the loss value: a summed loss is
    compared with the summed constant's loss; a re-weighted loss (`weight=`, `pos_weight=`)
    has no unweighted reference, so none is kept."""
    if call.baseline is None:
        return
    pos = WEIGHT_ARGS.get(call.fn)
    weighted = (kwargs.get("weight") is not None or kwargs.get("pos_weight") is not None
                or (pos is not None and len(args) > pos and args[pos] is not None))
    if weighted:
        call.baseline = None
        return
    reduction = kwargs.get("reduction", "mean")
    if reduction == "sum":
        if call.fn in CLASS_LOSSES.values():
            count = y.numel()
        else:
            shape = broadcast_shape(tuple(p.shape), tuple(y.shape)) or tuple(y.shape)
            count = math.prod(shape)
        call.baseline *= count
        call.floor *= count
    elif reduction == "batchmean" and y.dim() >= 1:  # kl_div: the sum over the batch, divided by its size
        call.baseline *= math.prod(y.shape[1:])
        call.floor *= math.prod(y.shape[1:])


def moved_axis(before: Shape, after: Shape) -> int | None:
    """The size of an axis that a reshape keeps by name but moves in memory order, or None.

    `view`/`reshape` only re-cut the memory: an axis survives a reshape when the product of
    the sizes before it (its offset) is the same on both sides (`[B, T, F]` -> `[B*T, F]`
    keeps F, `[B, T, E]` -> `[B, T, H, D]` keeps B and T). A size larger than 1 found on both
    sides, but never at the same offset, is an axis the code means to keep and scrambles:
    `[B, T, F]` viewed as `[T, B, F]`, `[B, C, H, W]` as `[B, H*W, C]`, an RNN's `[2, B, H]`
    state as `[B, 2*H]`."""
    def offsets(shape: Shape) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        prod = 1
        for d in shape:
            out.setdefault(d, set()).add(prod)
            prod *= d
        return out
    a, b = offsets(before), offsets(after)
    for size, where in a.items():
        if size > 1 and size in b and not where & b[size]:
            return size
    return None


def stretched_axes(shape: Shape, out: Shape) -> frozenset[int]:
    """Axes of `out` (counted from the right, -1 last) along which an operand of `shape` is
    stretched: it has size 1 there, or lacks the axis, and `out` is longer."""
    n = len(out)
    padded = (1,) * (n - len(shape)) + shape
    return frozenset(i - n for i, (s, o) in enumerate(zip(padded, out)) if s == 1 and o > 1)


def inserted_axes(func, args, kwargs, out: Shape) -> frozenset[int]:
    """Size-1 axes of `out` (counted from the right) that the call inserted: `x[:, None]`,
    `x.unsqueeze(1)`, `x.view(-1, 1)` on a vector. Empty when it inserted none."""
    src = args[0]
    n = len(out)
    if func is T.__getitem__:
        index = args[1] if len(args) > 1 else None
        index = index if isinstance(index, tuple) else (index,)
        if not any(i is None for i in index):
            return frozenset()
        if not all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index):
            return frozenset()  # advanced indexing moves axes: positions unknown
        consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
        axes, pos = set(), 0
        for i in index:
            if i is None:
                axes.add(pos)
                pos += 1
            elif i is Ellipsis:
                pos += src.dim() - consumed
            elif isinstance(i, slice):
                pos += 1
        return frozenset(a - n for a in axes)
    if func in UNSQUEEZES:
        dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
        if not isinstance(dim, int):
            return frozenset()
        return frozenset({(dim if dim >= 0 else dim + n) - n})
    if func in RESHAPES and n > src.dim():
        if [d for d in out if d != 1] == [d for d in src.shape if d != 1]:
            return frozenset(i - n for i, d in enumerate(out) if d == 1)
    return frozenset()


def constant_baseline(loss: str, y: torch.Tensor) -> float | None:
    """The loss of the best constant prediction on targets `y` (the level a collapsed model reaches)."""
    if y.numel() < 2:
        return None
    if loss == "mse_loss":
        return float(((y - y.mean()) ** 2).mean())
    if loss == "l1_loss":
        return float((y - y.median()).abs().mean())
    if loss in ("cross_entropy", "nll_loss") and not y.is_floating_point():
        labels = y[y >= 0].flatten()
        if labels.numel() == 0:
            return None
        freq = torch.bincount(labels).float()
        freq = freq[freq > 0] / labels.numel()
        return float(-(freq * freq.log()).sum())
    if loss.startswith("binary_cross_entropy"):
        if float(y.min()) < 0 or float(y.max()) > 1:
            return None
        m = float(y.mean())
        if m <= 0 or m >= 1:
            return 0.0
        return -(m * math.log(m) + (1 - m) * math.log(1 - m))
    return None


def _pairs(pred: torch.Tensor, target: torch.Tensor) -> tuple[tuple[float, float], ...]:
    """Sample by sample, the prediction's first column against the target's: what the report
    plots as predictions against targets. Empty unless both have one row per sample."""
    if pred.dim() == 0 or target.dim() == 0 or pred.shape[0] != target.shape[0] or pred.shape[0] < 2:
        return ()
    rows = min(MAX_PAIRS, pred.shape[0])
    both = torch.stack([pred[:rows].reshape(rows, -1)[:, 0], target[:rows].reshape(rows, -1)[:, 0].float()])
    return tuple(zip(*both.tolist()))


def _class_counts(predicted: torch.Tensor, targets: torch.Tensor) -> tuple[tuple[int, int], ...]:
    """Per class, (rows that predicted it, rows whose target it is)."""
    classes = max(predicted.numel(), targets.numel())
    if classes > MAX_CLASSES:
        return ()
    both = torch.zeros(2, classes, dtype=torch.long, device=predicted.device)
    both[0, :predicted.numel()] = predicted
    both[1, :targets.numel()] = targets
    return tuple(zip(*both.tolist()))
