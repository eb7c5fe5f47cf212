"""Extra forward passes, on a deep copy of the user's model, inside fork_rng.

They never touch the live model, its modes or the global RNG streams, and they are
invisible to the user's own instruments: the copy carries none of the user's module
hooks, and it runs with the global module hooks and the user's TorchFunction/
TorchDispatch modes (profilers, `FlopCounterMode`) out of the way.
"""
from __future__ import annotations

import contextlib
import copy
from collections import OrderedDict

import torch
from torch.nn.modules import module as _module
from torch.utils._python_dispatch import _disable_current_modes

from unstuck.observe.callsite import user_site
from unstuck.observe.wrappers import unwrapped

# Models larger than this are not copied for probes.
MAX_PROBE_PARAMS = 50_000_000
PROBE_SEED = 20240601  # the private generator that draws changed input values

# Per-module hook tables a deep copy would otherwise carry over.
MODULE_HOOK_TABLES = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                      "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks",
                      "_backward_pre_hooks")
# Hooks torch calls for every module of every model (ours and the user's).
GLOBAL_HOOK_TABLES = ("_global_forward_hooks", "_global_forward_hooks_with_kwargs",
                      "_global_forward_hooks_always_called", "_global_forward_pre_hooks",
                      "_global_backward_hooks", "_global_backward_pre_hooks")


def _devices(x: torch.Tensor) -> list[int]:
    return [x.device.index or 0] if x.is_cuda else []


@contextlib.contextmanager
def unobserved():
    """Run tool code where nobody watches: global module hooks emptied and every
    TorchFunctionMode and TorchDispatchMode taken off its stack; all put back after."""
    saved = []
    for name in GLOBAL_HOOK_TABLES:
        table = getattr(_module, name, None)
        if isinstance(table, dict) and table:
            saved.append((table, list(table.items())))
            table.clear()
    function_modes = []
    try:
        while torch._C._len_torch_function_stack():
            function_modes.append(torch._C._pop_torch_function_stack())
        with _disable_current_modes():
            yield
    finally:
        for m in reversed(function_modes):
            torch._C._push_on_torch_function_stack(m)
        for table, items in saved:
            table.clear()
            table.update(items)


def hookless_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A deep copy of `model` without the user's per-module hooks (they are not copied at all)."""
    memo: dict[int, object] = {}
    for m in model.modules():
        for name in MODULE_HOOK_TABLES:
            table = m.__dict__.get(name)
            if isinstance(table, dict):
                memo[id(table)] = OrderedDict()
    return copy.deepcopy(model, memo)


def tensors(obj, depth: int = 0):
    """The tensors inside a forward's arguments or outputs (nested tuples, lists and dicts)."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif depth < 3 and isinstance(obj, (list, tuple)):
        for o in obj:
            yield from tensors(o, depth + 1)
    elif depth < 3 and isinstance(obj, dict):
        for o in obj.values():
            yield from tensors(o, depth + 1)


def _map(obj, fn, depth: int = 0):
    """`obj` with every tensor replaced by fn(tensor), containers rebuilt."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if depth < 3 and isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_map(o, fn, depth + 1) for o in obj)
    if depth < 3 and isinstance(obj, list):
        return [_map(o, fn, depth + 1) for o in obj]
    if depth < 3 and isinstance(obj, dict):
        return {k: _map(v, fn, depth + 1) for k, v in obj.items()}
    return obj


def _rolled(batch: int):
    """Give each sample another sample's values (rows of a batch, shapes and dtypes kept)."""
    def fn(t: torch.Tensor) -> torch.Tensor:
        return torch.roll(t, shifts=1, dims=0) if t.dim() and t.shape[0] == batch else t
    return fn


def _perturbed(gen: torch.Generator, only=None):
    """New values of the same shape and dtype: floats moved by about their own spread,
    integers (token ids) drawn anew within the range they span."""
    def fn(t: torch.Tensor) -> torch.Tensor:
        if (only is not None and t is not only) or t.numel() == 0:
            return t
        if t.is_floating_point():
            scale = float(t.float().std()) if t.numel() > 1 else 0.0
            scale = scale if scale > 0 else max(1.0, float(t.abs().max()))
            noise = torch.randn(t.shape, generator=gen, dtype=torch.float32).to(t.device, t.dtype)
            return t + scale * noise
        if t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8):
            lo, hi = int(t.min()), int(t.max())
            if hi <= lo:
                return t
            return torch.randint(lo, hi + 1, t.shape, generator=gen).to(t.device, t.dtype)
        return t
    return fn


def _output(out) -> torch.Tensor | None:
    floats = [t.float().flatten() for t in tensors(out) if t.is_floating_point()]
    return torch.cat(floats) if floats else None


def _changed(a, b) -> bool:
    return any(not torch.equal(x, y) for x, y in zip(tensors(a), tensors(b)))


def probe_input_dependence(session) -> None:
    """How much the model's output changes when its input values change (shapes and dtypes kept).

    With per-sample outputs, each sample's input is replaced by another's; where the
    output has no batch axis (a pooled set) or the samples are identical, the values
    themselves are changed: floats by about their spread, integer ids within their range."""
    with unobserved(), torch.no_grad():
        _probe(session)


def _probe(session) -> None:
    if session.last_input is None:
        return
    ref, args = session.last_input
    model = unwrapped(ref())  # never a copy of a distributed wrapper: its forward runs collectives
    if model is None:
        return
    if sum(p.numel() for p in model.parameters()) > MAX_PROBE_PARAMS:
        return
    first = next(tensors(args), None)
    if first is None:
        return
    with torch.random.fork_rng(devices=_devices(first)):
        args = _map(args, lambda t: t.detach())
        clone = hookless_copy(model)
        clone.eval()
        raw = clone(*args)
        out = _output(raw)
        if out is None:
            return
        gen = torch.Generator().manual_seed(PROBE_SEED)
        batch = first.shape[0] if first.dim() else 0
        lead = [t.shape[0] for t in tensors(raw) if t.dim()]
        per_sample = batch >= 2 and bool(lead) and all(n == batch for n in lead)  # not a pooled set
        variants = ([_rolled(batch)] if per_sample else []) + [_perturbed(gen), _perturbed(gen, only=first)]
        out_other = None
        for change in variants:
            other = _map(args, change)
            if not _changed(args, other):
                continue
            try:
                out_other = _output(clone(*other))
            except Exception:  # noqa: BLE001 - changed values the model cannot take (offsets, lengths)
                continue
            if out_other is not None and out_other.shape == out.shape:
                break
            out_other = None
    if out_other is None:
        return
    scale = float(out.abs().mean()) + 1e-12
    session.trace.input_dependence = float((out - out_other).abs().mean()) / scale
    session.trace.input_dependence_site = user_site()
