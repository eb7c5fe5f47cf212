"""The ops between a model's output and its loss, recorded so that a replay can run them again.

On watched steps the capture (checkup/capture.py) follows the tensors computed from a root
model's output through the hub's `on_op` events and notes each op as a `Step`: a reshape, a
normaliser (log_softmax / softmax with its axis), an elementwise function (sigmoid, abs, pow,
exp, ...), arithmetic with a constant, arithmetic with *the target* (the one tensor that does
not depend on the model), and reductions (sum / mean). An op outside this list, or a second
tensor from elsewhere, makes the chain unrecognised, with the reason.

A chain is replayed as a function of (model output, target): `head` is the part before the
target enters (what the loss's prediction is), `tail` the rest (a hand-written loss). The
fixes edit a recorded chain: a normaliser moved to the class axis, removed, or made a
log_softmax (see confirm.py).

Shapes that count the batch are replayed with the batch axis free (`reshape(-1, ...)`), so the
replays' batches may have any size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

T = torch.Tensor

VIEW_FUNCS = {T.view, T.reshape, torch.reshape, T.flatten, torch.flatten, T.squeeze, torch.squeeze,
              T.unsqueeze, torch.unsqueeze}
CAST_FUNCS = {T.contiguous, T.float, T.double, T.to}
NORM_FUNCS = {F.softmax: "softmax", torch.softmax: "softmax", T.softmax: "softmax",
              F.log_softmax: "log_softmax", torch.log_softmax: "log_softmax", T.log_softmax: "log_softmax"}
UNARY_FUNCS = {torch.sigmoid: "sigmoid", T.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
               T.abs: "abs", torch.abs: "abs", T.__abs__: "abs", T.neg: "neg", torch.neg: "neg", T.__neg__: "neg",
               T.exp: "exp", torch.exp: "exp", T.log: "log", torch.log: "log", T.sqrt: "sqrt", torch.sqrt: "sqrt",
               T.square: "square", torch.square: "square"}
POW_FUNCS = {T.pow, torch.pow, T.__pow__}
BINARY_FUNCS = {T.__sub__: "-", torch.sub: "-", T.sub: "-", torch.subtract: "-", T.__rsub__: "r-",
                T.__add__: "+", T.__radd__: "+", torch.add: "+", T.add: "+",
                T.__mul__: "*", T.__rmul__: "*", torch.mul: "*", T.mul: "*",
                T.__truediv__: "/", torch.div: "/", T.div: "/", T.__rtruediv__: "r/"}
REDUCE_FUNCS = {T.mean: "mean", torch.mean: "mean", T.sum: "sum", torch.sum: "sum"}
UNARY_APPLY = {"sigmoid": torch.sigmoid, "abs": torch.abs, "neg": torch.neg, "exp": torch.exp, "log": torch.log,
               "sqrt": torch.sqrt, "square": torch.square}
# the ops this module follows: what the hub's on_op event must deliver (observe/ops.py)
FOLLOWED = frozenset(VIEW_FUNCS | CAST_FUNCS | set(NORM_FUNCS) | set(UNARY_FUNCS) | POW_FUNCS | set(BINARY_FUNCS)
                     | set(REDUCE_FUNCS))


class Unrecognised(Exception):
    """An op the replay cannot rebuild; the message says which."""


@dataclass(frozen=True)
class Step:
    kind: str  # view, cast, norm, unary, pow, const, target, reduce
    name: str = ""  # the normaliser / function / operator / reduction
    arg: object = None  # norm: axis; pow: exponent; const: the number; reduce: (dims, keepdim); view: shape tail
    shape: tuple[int, ...] = ()  # the result's shape when it was recorded

    def text(self) -> str:
        if self.kind == "norm":
            return f"{self.name}(dim={self.arg})"
        if self.kind in ("unary", "reduce"):
            return self.name if self.kind == "unary" or self.arg is None else f"{self.name}(dim={self.arg[0]})"
        if self.kind == "pow":
            return f"pow({self.arg:g})"
        if self.kind == "const":
            return f"{self.name} {self.arg:g}"
        if self.kind == "target":
            return "target - x" if self.name == "r-" else f"x {self.name} target"
        return self.kind


def _op_text(func) -> str:
    return getattr(func, "__name__", None) or str(func)


def step_of(func, args, kwargs, out, x: torch.Tensor, b: int) -> tuple[Step | None, torch.Tensor | None]:
    """The Step for `out = func(*args, **kwargs)` where `x` is the followed operand; with the
    target tensor it brought in, if any. (None, None) for an op that returns `x` itself (a
    no-op cast). Raises Unrecognised."""
    shape = tuple(out.shape)
    if out is x:
        return None, None
    if func in CAST_FUNCS:
        if out.shape != x.shape or not out.is_floating_point():
            raise Unrecognised(f"`{_op_text(func)}` changes the tensor beyond a cast")
        return Step("cast", shape=shape), None
    if func in VIEW_FUNCS:
        if not shape or not x.shape or shape[0] % b or x.shape[0] % b:
            raise Unrecognised(f"`{_op_text(func)}` to {list(shape)} moves the batch axis")
        return Step("view", arg=shape[1:], shape=shape), None
    if func in NORM_FUNCS:
        dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
        if dim is None:
            dim = F._get_softmax_dim(NORM_FUNCS[func], x.dim(), 5)
        if not isinstance(dim, int) or kwargs.get("dtype") is not None or len(args) > 2:
            raise Unrecognised(f"`{NORM_FUNCS[func]}` with arguments the replay does not rebuild")
        return Step("norm", NORM_FUNCS[func], dim % max(1, x.dim()), shape), None
    if func in UNARY_FUNCS:
        if len(args) > 1 or kwargs:
            raise Unrecognised(f"`{_op_text(func)}` with extra arguments")
        return Step("unary", UNARY_FUNCS[func], shape=shape), None
    if func in POW_FUNCS:
        e = args[1] if len(args) > 1 else kwargs.get("exponent")
        if args[0] is not x or not _number(e):
            raise Unrecognised("`pow` with a tensor exponent or base")
        return Step("pow", arg=float(e), shape=shape), None
    if func in REDUCE_FUNCS:
        dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
        keep = bool(kwargs.get("keepdim", args[2] if len(args) > 2 else False))
        if kwargs.get("dtype") is not None or (dim is not None and not isinstance(dim, (int, tuple, list))):
            raise Unrecognised(f"`{REDUCE_FUNCS[func]}` with arguments the replay does not rebuild")
        dims = None if dim is None else (tuple(dim) if isinstance(dim, (tuple, list)) else (dim,))
        return Step("reduce", REDUCE_FUNCS[func], None if dims is None else (dims, keep), shape), None
    if func in BINARY_FUNCS:
        op = BINARY_FUNCS[func]
        if len(args) < 2 or kwargs.get("alpha", 1) != 1 or kwargs.get("rounding_mode") is not None:
            raise Unrecognised(f"`{op}` with arguments the replay does not rebuild")
        a, c = args[0], args[1]
        if a is x and c is x:
            if op == "*":
                return Step("unary", "square", shape=shape), None
            raise Unrecognised(f"`x {op} x`")
        other, swapped = (c, False) if a is x else (a, True)
        if op.startswith("r"):
            op, swapped = op[1:], not swapped
        if _number(other) or (isinstance(other, torch.Tensor) and other.numel() == 1 and b > 1
                              and other.grad_fn is None and not other.requires_grad):
            return Step("const", ("r" + op) if swapped else op, float(other), shape), None
        if not isinstance(other, torch.Tensor):
            raise Unrecognised(f"`{op}` with a {type(other).__name__}")
        if other.requires_grad:
            raise Unrecognised(f"the output is combined by `{op}` with another tensor that is being trained")
        if op != "-":
            raise Unrecognised(f"the output is combined with the target by `{op}` (only a difference is replayed)")
        return Step("target", "r-" if swapped else "-", shape=shape), other
    raise Unrecognised(f"`{_op_text(func)}`")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def run(steps, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Replay `steps` on `x` (with the target `y` where a step needs it)."""
    for s in steps:
        k = s.kind
        if k == "view":
            x = x.reshape(-1, *s.arg)
        elif k == "cast":
            pass
        elif k == "norm":
            x = torch.log_softmax(x, s.arg) if s.name == "log_softmax" else torch.softmax(x, s.arg)
        elif k == "unary":
            x = UNARY_APPLY[s.name](x)
        elif k == "pow":
            x = x ** s.arg
        elif k == "const":
            c = s.arg
            x = {"-": lambda: x - c, "r-": lambda: c - x, "+": lambda: x + c, "r+": lambda: c + x,
                 "*": lambda: x * c, "r*": lambda: c * x, "/": lambda: x / c, "r/": lambda: c / x}[s.name]()
        elif k == "target":
            x = y - x if s.name == "r-" else x - y
        elif k == "reduce":
            fn = torch.mean if s.name == "mean" else torch.sum
            x = fn(x) if s.arg is None else fn(x, s.arg[0], keepdim=s.arg[1])
        else:
            raise ValueError(k)
    return x


def describe(steps) -> str:
    return " -> ".join(s.text() for s in steps if s.kind not in ("view", "cast")) or "reshapes only"


def difference_loss(tail) -> str | None:
    """Why a hand-written loss (`tail`, from the target on) is not replayed, or None: it must be a
    difference of the prediction and the target, then elementwise functions, constants and
    reductions, down to one number."""
    if not tail or tail[0].kind != "target":
        return "the loss does not combine the model's output with a target"
    if any(s.kind in ("norm", "target") for s in tail[1:]):
        return "the hand-written loss normalises or meets another tensor after the difference"
    if tail[-1].shape not in ((), (1,)):
        return "the hand-written loss is not reduced to one number"
    return None


def class_axis_fix(head, pred_shape, kind: str):
    """The head with its normaliser edited (`kind`: "dim" moves it to the loss's class axis,
    axis 1 of the prediction; "identity" removes it; "log" makes it a log_softmax), or the reason
    why not. The class axis is found on the normaliser's own result: the axis with the
    prediction's class count and the same number of elements after it."""
    idx = [i for i, s in enumerate(head) if s.kind == "norm"]
    if not idx:
        return None
    i = idx[-1]
    s = head[i]
    if kind == "identity":
        return head[:i] + head[i + 1:]
    if kind == "log":
        if s.name == "log_softmax":
            return "the normaliser before the loss is a log_softmax already"
        return head[:i] + (replace(s, name="log_softmax"),) + head[i + 1:]
    if len(pred_shape) < 2:
        return "the loss's prediction has no class axis"
    classes, after = pred_shape[1], math.prod(pred_shape[2:])
    shape = s.shape
    axes = [d for d in range(1, len(shape)) if shape[d] == classes and math.prod(shape[d + 1:]) == after]
    if not axes:
        return f"no axis of the normaliser's {list(shape)} result becomes the loss's class axis"
    if s.arg in axes:
        return f"the {s.name} already runs over the class axis"
    return head[:i] + (replace(s, arg=axes[-1]),) + head[i + 1:]
