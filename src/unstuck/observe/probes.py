"""Extra forward passes, on a deep copy of the user's model, inside fork_rng.

They never touch the live model, its modes or the global RNG streams.
"""
from __future__ import annotations

import copy

import torch

from unstuck.observe.callsite import user_site

# Models larger than this are not copied for probes.
MAX_PROBE_PARAMS = 50_000_000


def _devices(x: torch.Tensor) -> list[int]:
    return [x.device.index or 0] if x.is_cuda else []


def probe_input_dependence(session) -> None:
    """How much the model's output changes when each sample's input is replaced by another's."""
    if session.last_input is None:
        return
    ref, x = session.last_input
    model = ref()
    if model is None or x.dim() == 0 or x.shape[0] < 2:
        return
    if sum(p.numel() for p in model.parameters()) > MAX_PROBE_PARAMS:
        return
    with torch.random.fork_rng(devices=_devices(x)):
        clone = copy.deepcopy(model)
        clone.eval()
        x = x.detach()
        other = torch.roll(x, shifts=1, dims=0)
        if torch.equal(other, x):
            return
        out = clone(x)
        out_other = clone(other)
    if not (isinstance(out, torch.Tensor) and isinstance(out_other, torch.Tensor)) or not out.is_floating_point():
        return
    scale = float(out.abs().mean()) + 1e-12
    session.trace.input_dependence = float((out - out_other).abs().mean()) / scale
    session.trace.input_dependence_site = user_site()
