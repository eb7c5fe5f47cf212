"""Facts of one process of a distributed (torchrun-style) run, for comparing the processes.

An extra observer (`Session(observers=[DistributedObserver(...)])`): it records, in this
process, which samples the model was trained on at each sampled step (a fingerprint of the
input of each training forward of a root model, told by the module observer), where the replicas' parameters stand (per-parameter sums before the first
optimizer step, before the steps of the base sampling schedule and at the end), whether the model is wrapped in
DistributedDataParallel / FSDP, and which DataLoaders were built with which sampler. It stores
them in `trace.distributed` as this rank's `RankFacts`, with how often the script ran a
collective on the parameters themselves (averaging replicas by hand); the launcher
(`unstuck.integrations.distributed`) gathers every rank's facts and the rules compare them.

Cost: an optimizer step pre-hook that does nothing on most steps; on sampled steps only, a
fingerprint (one float64 sum and a few values of the input) and two float64 reductions per
parameter tensor (the sampled steps already read every parameter); a wrapper around `DataLoader.__init__` (per construction).
Nothing here draws random numbers, changes a tensor, or talks to the other processes: the
comparison happens after the run, from the facts each process wrote.
"""
from __future__ import annotations

import functools
import math
import sys
from itertools import islice

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from unstuck.observe.callsite import user_site
from unstuck.observe.patching import Patches
from unstuck.observe.probes import tensors
from unstuck.observe.tracing import tracing
from unstuck.trace import DistributedRun, LoaderFacts, RankFacts

FINGERPRINT_TENSORS = 4  # input tensors of a forward call that are fingerprinted
FINGERPRINT_VALUES = 16  # evenly spaced values kept of each
MAX_LOADERS = 16  # DataLoader constructions recorded
MAX_BATCHES = 64  # sampled steps fingerprinted
SUM_CHUNK = 1 << 20  # elements summed at a time for a parameter checksum
FORWARDS_PER_STEP = 8  # root model forwards fingerprinted per step (micro-batches, several models)
SYNC_COLLECTIVES = ("all_reduce", "broadcast", "reduce")  # collectives that can make replicas equal
AVERAGERS = "torch.distributed.algorithms.model_averaging"


def fingerprint(args) -> tuple[float, ...]:
    """Shapes, a float64 sum and a few evenly spaced values of the tensors in a forward's
    arguments: equal for the same batch, different for different batches (a NaN is kept as
    infinity so that equal batches stay equal)."""
    out: list[float] = []
    for x in islice((t for t in tensors(args) if not t.is_sparse), FINGERPRINT_TENSORS):
        x = x.detach()
        out += [float(d) for d in x.shape]
        if not x.numel():
            continue
        if x.is_complex():
            x = torch.view_as_real(x)
        flat = x.reshape(-1)
        values = flat[::max(1, flat.numel() // FINGERPRINT_VALUES)][:FINGERPRINT_VALUES]
        out += [_total(flat.split(SUM_CHUNK))] + values.to(torch.float64).tolist()
    return tuple(v if not math.isnan(v) else math.inf for v in out)


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


def _sums(d: torch.Tensor) -> tuple[float, float]:
    """float64 sum and absolute sum of a tensor, a chunk at a time: a float64 (or absolute)
    copy of a whole embedding matrix would be a memory spike on the user's device."""
    parts = d.reshape(-1).split(SUM_CHUNK)
    return _total(parts), _total([p.abs() for p in parts])


def _total(parts) -> float:
    return float(torch.stack([p.sum(dtype=torch.float64) for p in parts]).sum())


def _is_shard(p) -> bool:
    return type(p).__name__ in ("DTensor", "FlatParameter")


class DistributedObserver:
    """Records this rank's `RankFacts` into the session's Trace (see the module docstring)."""

    def __init__(self, rank: int, world_size: int, local_rank: int | None = None) -> None:
        self.facts = RankFacts(rank=rank, world_size=world_size, local_rank=local_rank)
        self.s = None
        self.handles: list = []
        self.patches = Patches()
        self.started = False
        self.param_ptrs: set[int] = set()  # storage of the optimizers' parameters (at the last checksum)

    # ------------------------------------------------------------ install
    def install(self, session) -> None:
        self.s = session
        session.trace.distributed = DistributedRun(world_size=self.facts.world_size, ranks=[self.facts])
        session.input_listeners.append(self._on_input)
        self.handles = [register_optimizer_step_pre_hook(self._pre)]
        from torch.utils.data import DataLoader
        init = DataLoader.__init__
        observer = self

        @functools.wraps(init)
        def __init__(loader, *args, **kwargs):
            init(loader, *args, **kwargs)
            session.guard("distributed loader", observer._on_loader, loader)

        self.patches.patch(DataLoader, "__init__", __init__)
        dist = sys.modules.get("torch.distributed")
        if dist is not None and dist.is_available():
            for name in SYNC_COLLECTIVES:
                if callable(getattr(dist, name, None)):
                    self._watch_collective(dist, name)

    def _watch_collective(self, dist, name: str) -> None:
        """Count the collectives the script runs on parameters (replicas averaged by hand)."""
        original = getattr(dist, name)
        observer = self

        @functools.wraps(original)
        def collective(tensor, *args, **kwargs):
            if observer.param_ptrs and isinstance(tensor, torch.Tensor) and not tracing():
                observer.s.guard("distributed collective", observer._on_collective, tensor)
            return original(tensor, *args, **kwargs)

        self.patches.patch(dist, name, collective)

    def _on_collective(self, tensor) -> None:
        if tensor.data_ptr() in self.param_ptrs:
            self.facts.param_syncs += 1

    def uninstall(self) -> None:
        if self.s is not None and self._on_input in self.s.input_listeners:
            self.s.input_listeners.remove(self._on_input)
        for h in self.handles:
            h.remove()
        self.handles = []
        self.patches.restore()
        if self.s is not None and self.started and self.s.tick not in self.facts.checksums:
            self._checksum(self.s.tick)  # where the replicas ended (the session guards uninstall)
        if any(name.startswith(AVERAGERS) for name in list(sys.modules)):
            self.facts.param_syncs += 1  # torch's periodic model averaging (post-local SGD)
        self.param_ptrs = set()

    # ------------------------------------------------------------ hooks
    def _pre(self, opt, args, kwargs) -> None:
        if not tracing():
            self.s.guard("distributed step", self._on_pre)

    def _on_pre(self) -> None:
        s = self.s
        # Before the first optimizer step: where the replicas start from. Later, before the steps
        # of the base sampling schedule (the same ticks in every process, whatever each one's
        # pace): the parameters after the previous update and after whatever the script did
        # between the steps (periodic averaging, as in local SGD).
        if s.tick not in self.facts.checksums and (not self.started or s.sampling_cfg.sampled(s.tick)):
            self.started = True
            self._checksum(s.tick)

    def _on_input(self, module, args, grad_enabled: bool) -> None:
        """A root model's forward on a sampled step (told inside the module observer's guard):
        a training forward's input fingerprint joins the step's."""
        s, f = self.s, self.facts
        if not grad_enabled:  # an evaluation pass, not training data
            return
        seen = f.batches.get(s.tick, ())
        if len(seen) >= FORWARDS_PER_STEP or (not seen and len(f.batches) >= MAX_BATCHES):
            return
        f.batches[s.tick] = seen + (fingerprint(args),)
        if f.batch_site is None:
            f.batch_site = user_site()

    def _on_loader(self, loader) -> None:
        if len(self.facts.loaders) >= MAX_LOADERS:
            return
        sampler = getattr(loader, "sampler", None)
        batch_sampler = getattr(loader, "batch_sampler", None)
        inner = getattr(batch_sampler, "sampler", None)
        from torch.utils.data.distributed import DistributedSampler
        distributed = isinstance(sampler, DistributedSampler) or isinstance(inner, DistributedSampler)
        shown = inner if isinstance(inner, DistributedSampler) else sampler
        self.facts.loaders.append(LoaderFacts(site=user_site(), sampler=type(shown).__name__,
                                              distributed=distributed))

    # ------------------------------------------------------------ measures
    def _params(self) -> list[torch.Tensor]:
        seen: dict[int, torch.Tensor] = {}
        for st in list(self.s.opts.values()):
            opt = st.ref()
            if opt is None:
                continue
            for group in opt.param_groups:
                for p in group["params"]:
                    seen.setdefault(id(p), p)
        return list(seen.values())

    def _checksum(self, tick: int) -> None:
        params = self._params()
        f = self.facts
        if not f.param_names:
            f.param_names = tuple(self.s.trace.param_name(id(p)) for p in params)
            f.param_shapes = tuple(tuple(p.shape) for p in params)
        self._wrapping(params)
        dist = sys.modules.get("torch.distributed")
        if f.backend is None and dist is not None and dist.is_available() and dist.is_initialized():
            f.backend = str(dist.get_backend())
        sums = []
        for p in params:
            d = p.detach()
            if _is_shard(p) or d.is_sparse:
                sums.append((0.0, 0.0))
                continue
            sums.append(_sums(d))
        f.checksums[tick] = tuple(sums)
        self.param_ptrs = {p.data_ptr() for p in params if not p.is_sparse and not _is_shard(p)}

    def _wrapping(self, params) -> None:
        """Whether the model is wrapped for data parallelism, and where it and its wrapper were built."""
        f = self.facts
        f.sharded = f.sharded or any(_is_shard(p) for p in params)
        kinds = wrapper_kinds()
        site_of = self.s.sites.defined_at
        for ref, has_params in list(self.s.modules.roots.values()):
            module = ref()
            if module is None or not has_params:
                continue
            wrapped = [(cls, sharded) for cls, sharded in kinds if isinstance(module, cls)]
            if wrapped:
                names = tuple(dict.fromkeys(f.wrappers + tuple(cls.__name__ for cls, _ in wrapped)))
                f.wrappers = names
                f.sharded = f.sharded or any(sharded for _, sharded in wrapped)
                f.wrap_site = f.wrap_site or site_of(module)
                inner = getattr(module, "module", None)
                if f.model_site is None and isinstance(inner, torch.nn.Module):
                    f.model_site = site_of(inner)
            elif f.model_site is None:
                f.model_site = site_of(module)


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
