"""Facts of one process of a distributed (torchrun-style) run, for comparing the processes.

An extra observer (`Session(observers=[DistributedObserver(...)])`): it records, in this
process, which samples the model was trained on at each sampled step (a fingerprint of the
input of each training forward of a root model, told by the module observer), where the replicas' parameters stand (per-parameter sums before the first
optimizer step, before the steps of the base sampling schedule and at the end), whether the model is wrapped in
DistributedDataParallel / FSDP, and which DataLoaders were built with which sampler. It stores
them in `trace.distributed` as this rank's `RankFacts`, with how often the script ran a
collective on the parameters themselves (averaging replicas by hand); the launcher
(`unstuck.integrations.distributed`) gathers every rank's facts and the rules compare them.

Also: each pass over a recorded DataLoader (the tick it began, its length, its
DistributedSampler's epoch) and the sampler's `set_epoch` calls; how many steps and backward
passes the process completed and whether it entered a `Join` context (DDP's `model.join()`);
on sampled training forwards, the per-process batch size and the BatchNorm layers in training
mode; and, once the script has run a collective on the optimizers' gradients (averaging them by
hand), on the following sampled steps the sum of each local gradient right after backward (a
post-accumulate-grad hook, removed at the step) beside the sum of the gradient the step used.

Cost: the hub's `on_step_begin` and `on_step_end` (the session's optimizer step hooks), which
do nothing on most steps; on sampled steps only, a fingerprint (one float64 sum and a few values
of the input) and two float64 reductions per parameter tensor (the sampled steps already read
every parameter); a wrapper around `DataLoader.__init__` (per construction) and the hub's
`on_loader_iter` (per epoch, a `len()`); a set lookup per collective the script runs
by hand (none under DDP, whose reducer calls no Python collective); two float64 sums per
gradient on sampled steps of hand-averaged runs only.
Nothing here draws random numbers, changes a tensor, or talks to the other processes: the
comparison happens after the run, from the facts each process wrote.
"""
from __future__ import annotations

import functools
import math
import sys
import weakref
from itertools import islice

import torch

from unstuck.observe.callsite import user_site
from unstuck.observe.hub import Observer
from unstuck.observe.patching import Patches
from unstuck.observe.probes import tensors
from unstuck.observe.tracing import tracing
from unstuck.observe.wrappers import unwrapped, wrapper_kinds  # noqa: F401 - unwrapped: its old home
from unstuck.trace import DistributedRun, LoaderFacts, RankFacts

MAX_PASSES = 64  # passes over each DataLoader recorded

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


def _norm_layers(module, args) -> tuple[int, int, int]:
    """(dim 0 of the first input tensor, BatchNorm layers in training mode that are not
    SyncBatchNorm, SyncBatchNorm layers in training mode) of a root model's forward."""
    first = next((t for t in tensors(args) if t.dim()), None)
    batch = int(first.shape[0]) if first is not None else -1
    plain = synced = 0
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.training:
            if isinstance(m, torch.nn.SyncBatchNorm):
                synced += 1
            else:
                plain += 1
    return batch, plain, synced


def _sums(d: torch.Tensor) -> tuple[float, float]:
    """float64 sum and absolute sum of a tensor, a chunk at a time: a float64 (or absolute)
    copy of a whole embedding matrix would be a memory spike on the user's device."""
    parts = d.reshape(-1).split(SUM_CHUNK)
    return _total(parts), _total([p.abs() for p in parts])


def _total(parts) -> float:
    return float(torch.stack([p.sum(dtype=torch.float64) for p in parts]).sum())


def _is_shard(p) -> bool:
    return type(p).__name__ in ("DTensor", "FlatParameter")


class DistributedObserver(Observer):
    """Records this rank's `RankFacts` into the session's Trace (see the module docstring)."""

    def __init__(self, rank: int, world_size: int, local_rank: int | None = None) -> None:
        self.facts = RankFacts(rank=rank, world_size=world_size, local_rank=local_rank)
        self.s = None
        self.patches = Patches()
        self.started = False
        self.param_ptrs: set[int] = set()  # storage of the optimizers' parameters (at the last checksum)
        self.loader_facts: dict[int, tuple[object, LoaderFacts]] = {}  # id(loader) -> (weakref, facts)
        self.sampler_facts: dict[int, list[LoaderFacts]] = {}  # id(DistributedSampler) -> its loaders' facts
        self.grad_ptrs: set[int] = set()  # storage of the optimizers' gradients, as of grad_tick
        self.grad_tick = -1
        self.grad_refreshed = False
        self.reduced_tick = -1  # last tick on which the script ran a collective on a gradient
        self.reduced_in_backward = -1  # ... from inside a backward pass (a hand-written DDP hook)
        self.grad_hooks: list = []  # post-accumulate-grad hooks of the tick being checked
        self.hooked: list[torch.Tensor] = []
        self.local: list[float | None] = []
        self.hooked_tick = -1
        self.open_pass: tuple[LoaderFacts, int] | None = None  # the latest pass begun with gradients on

    # ------------------------------------------------------------ install
    def install(self, session) -> None:
        self.s = session
        session.trace.distributed = DistributedRun(world_size=self.facts.world_size, ranks=[self.facts])
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
            self._watch_sampler_and_join()

    def _watch_sampler_and_join(self) -> None:
        """Count DistributedSampler.set_epoch calls, and note a `Join` context (uneven inputs)."""
        from torch.utils.data.distributed import DistributedSampler
        set_epoch = DistributedSampler.set_epoch
        observer = self

        @functools.wraps(set_epoch)
        def wrapped_set_epoch(sampler, *args, **kwargs):
            observer.s.guard("distributed set_epoch", observer._on_set_epoch, sampler)
            return set_epoch(sampler, *args, **kwargs)

        self.patches.patch(DistributedSampler, "set_epoch", wrapped_set_epoch)
        join = sys.modules.get("torch.distributed.algorithms.join")
        cls = getattr(join, "Join", None)
        if isinstance(cls, type) and callable(getattr(cls, "__enter__", None)):
            enter = cls.__enter__

            @functools.wraps(enter)
            def wrapped_enter(ctx, *args, **kwargs):
                observer.facts.joined = True
                return enter(ctx, *args, **kwargs)

            self.patches.patch(cls, "__enter__", wrapped_enter)

    def _watch_collective(self, dist, name: str) -> None:
        """Count the collectives the script runs on parameters (replicas averaged by hand)."""
        original = getattr(dist, name)
        observer = self

        @functools.wraps(original)
        def collective(tensor, *args, **kwargs):
            if observer.s.opts and isinstance(tensor, torch.Tensor) and not tracing():
                observer.s.guard("distributed collective", observer._on_collective, tensor)
            return original(tensor, *args, **kwargs)

        self.patches.patch(dist, name, collective)

    def _on_collective(self, tensor) -> None:
        ptr = tensor.data_ptr()
        if not ptr or tensor.is_sparse:
            return
        if ptr in self.param_ptrs:
            self.facts.param_syncs += 1
        elif self._is_grad(ptr):
            self.facts.grad_syncs += 1
            if self.facts.grad_sync_site is None:
                self.facts.grad_sync_site = user_site()
            self.reduced_tick = self.s.tick
            if torch._C._current_graph_task_id() != -1:
                self.reduced_in_backward = self.s.tick

    def _is_grad(self, ptr: int) -> bool:
        """`ptr` is the storage of an optimizer parameter's gradient (looked up again at most
        twice a tick: gradients set to None by zero_grad are new tensors after backward)."""
        tick = self.s.tick
        if self.grad_tick != tick or (ptr not in self.grad_ptrs and not self.grad_refreshed):
            self.grad_refreshed = self.grad_tick == tick
            self.grad_tick = tick
            self.grad_ptrs = {p.grad.data_ptr() for p in self._params()
                              if p.grad is not None and not p.grad.is_sparse}
        return ptr in self.grad_ptrs

    def uninstall(self) -> None:
        self.patches.restore()
        self._unhook_grads()
        if self.s is not None:
            self._close_pass()
            self.facts.steps = self.s.tick
            self.facts.backward_passes = self.s.trace.backward_calls
        if self.s is not None and self.started and self.s.tick not in self.facts.checksums:
            self._checksum(self.s.tick)  # where the replicas ended (the session guards uninstall)
        if any(name.startswith(AVERAGERS) for name in list(sys.modules)):
            self.facts.param_syncs += 1  # torch's periodic model averaging (post-local SGD)
        self.param_ptrs = set()
        self.loader_facts, self.sampler_facts = {}, {}

    # ------------------------------------------------------------ events
    def on_step_begin(self, opt) -> None:
        s = self.s
        # Before the first optimizer step: where the replicas start from. Later, before the steps
        # of the base sampling schedule (the same ticks in every process, whatever each one's
        # pace): the parameters after the previous update and after whatever the script did
        # between the steps (periodic averaging, as in local SGD).
        if s.tick not in self.facts.checksums and (not self.started or s.sampling_cfg.sampled(s.tick)):
            self.started = True
            self._checksum(s.tick)
        if self.hooked_tick == s.tick:
            self._check_grads()
        self._unhook_grads()

    def on_step_end(self, opt) -> None:
        """After a step (the tick has advanced): when the script averages gradients by hand and
        the coming step is sampled, hook each parameter's gradient accumulation to read the
        local gradient that the next backward produces, before the script reduces it."""
        s, f = self.s, self.facts
        if (not f.grad_syncs or not s.sampling or self.grad_hooks or f.wrappers or f.sharded or len(s.opts) != 1
                or len(f.grad_checks) >= MAX_BATCHES):
            return
        self.hooked = [p for p in self._params() if not p.is_sparse and not _is_shard(p)]
        self.local = [None] * len(self.hooked)
        self.hooked_tick = s.tick
        self.grad_hooks = [p.register_post_accumulate_grad_hook(functools.partial(self._grad_ready, i))
                           for i, p in enumerate(self.hooked)]

    def _grad_ready(self, index: int, p) -> None:
        self.s.guard("distributed gradient", self._on_grad_ready, index, p)

    def _on_grad_ready(self, index: int, p) -> None:
        if self.hooked_tick == self.s.tick and p.grad is not None and not p.grad.is_sparse:
            self.local[index] = _total(p.grad.detach().reshape(-1).split(SUM_CHUNK))

    def _check_grads(self) -> None:
        """Before the step of a hooked tick: the local gradients beside the ones the step uses,
        kept when the script reduced gradients after backward on this tick."""
        s = self.s
        if self.reduced_tick != s.tick or self.reduced_in_backward == s.tick or None in self.local:
            return
        final = []
        for p in self.hooked:
            if p.grad is None or p.grad.is_sparse:
                return
            final.append(_total(p.grad.detach().reshape(-1).split(SUM_CHUNK)))
        self.facts.grad_checks[s.tick] = tuple(zip(self.local, final))

    def _unhook_grads(self) -> None:
        for h in self.grad_hooks:
            h.remove()
        self.grad_hooks, self.hooked, self.local, self.hooked_tick = [], [], [], -1

    def on_model_input(self, module, args, grad_enabled: bool) -> None:
        """A root model's forward on a sampled step (told inside the module observer's guard):
        a training forward's input fingerprint joins the step's."""
        s, f = self.s, self.facts
        if not grad_enabled:  # an evaluation pass, not training data
            return
        if s.tick not in f.norm_batches and len(f.norm_batches) < MAX_BATCHES:
            f.norm_batches[s.tick] = _norm_layers(module, args)
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
        facts = LoaderFacts(site=user_site(), sampler=type(shown).__name__, distributed=distributed)
        if isinstance(shown, DistributedSampler):
            facts.shuffle = bool(getattr(shown, "shuffle", False))
            facts.stock_order = type(shown).__iter__ is DistributedSampler.__iter__
            self.sampler_facts.setdefault(id(shown), []).append(facts)
        self.facts.loaders.append(facts)
        try:
            self.loader_facts[id(loader)] = (weakref.ref(loader), facts)
        except TypeError:  # not weak-referenceable: its passes are not counted
            pass

    def on_loader_iter(self, loader, grad_enabled: bool) -> None:
        """A pass over a recorded DataLoader begins: when, how many batches, which sampler epoch."""
        known = self.loader_facts.get(id(loader))
        if known is None or known[0]() is not loader or len(known[1].passes) >= MAX_PASSES:
            return
        facts = known[1]
        from torch.utils.data import IterableDataset
        batches = -1
        if not isinstance(getattr(loader, "dataset", None), IterableDataset):  # its len() has side effects
            try:
                batches = len(loader)
            except TypeError:
                batches = -1
        sampler = getattr(getattr(loader, "batch_sampler", None), "sampler", None)
        sampler = sampler if id(sampler) in self.sampler_facts else getattr(loader, "sampler", None)
        epoch = getattr(sampler, "epoch", -1) if id(sampler) in self.sampler_facts else -1
        self._close_pass()
        facts.passes.append((self.s.tick, batches, epoch if isinstance(epoch, int) else -1, 0))
        if grad_enabled:
            self.open_pass = (facts, len(facts.passes) - 1)

    def _close_pass(self) -> None:
        """The latest training pass ends where the next pass begins: the steps taken during it."""
        if self.open_pass is None:
            return
        facts, i = self.open_pass
        tick, batches, epoch, _ = facts.passes[i]
        facts.passes[i] = (tick, batches, epoch, self.s.tick - tick)
        self.open_pass = None

    def _on_set_epoch(self, sampler) -> None:
        for facts in self.sampler_facts.get(id(sampler), ()):
            facts.set_epoch_calls += 1

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
