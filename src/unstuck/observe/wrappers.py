"""The data-parallel wrappers around a model (DistributedDataParallel, FSDP), known without
importing them: the distributed observer names them, and a probe runs the model inside one,
never a copy of the wrapper."""
from __future__ import annotations

import sys

import torch


def wrapper_kinds() -> list[tuple[type, bool]]:
    """The data-parallel wrapper classes that are imported (never importing one ourselves),
    each with whether it shards the parameters."""
    kinds = []
    ddp = sys.modules.get("torch.nn.parallel.distributed")
    if ddp is not None:
        kinds.append((ddp.DistributedDataParallel, False))
    fsdp = sys.modules.get("torch.distributed.fsdp")
    if fsdp is not None:
        for name in ("FullyShardedDataParallel", "FSDPModule"):
            cls = getattr(fsdp, name, None)
            if isinstance(cls, type):
                kinds.append((cls, True))
    return kinds


def unwrapped(model):
    """The model a deep copy may run on its own: the module inside DistributedDataParallel (a
    copy of the wrapper would run collectives in this process alone, e.g. broadcasting buffers
    before its forward); None for a wrapper that shards the parameters (FSDP), whose shards
    cannot run alone."""
    for cls, sharded in wrapper_kinds():
        if isinstance(model, cls):
            inner = getattr(model, "module", None)
            return None if sharded or not isinstance(inner, torch.nn.Module) else inner
    return model
