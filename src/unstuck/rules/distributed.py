"""Distributed training: the processes of one run, compared with each other.

These rules read `trace.distributed`, the facts every process of `unstuck run --nproc-per-node N`
(or of a torchrun launch of `unstuck run`) recorded (`observe.distributed`): a fingerprint of
the batch each process trained on at each sampled step, and per-parameter sums of each
replica's parameters before the first optimizer step, before the sampled steps and at the end.
In a single process they are skipped.
"""
from __future__ import annotations

import math

from unstuck.findings import Severity
from unstuck.rules.base import SHOWN_NAMES, NotJudged, rule
from unstuck.trace import DistributedRun, RankFacts, Trace

# distributed-duplicate-data
MIN_COMPARED_STEPS = 3  # sampled steps with a batch fingerprint from every process
DUPLICATE_SHARE = 0.8  # share of those steps on which two or more processes had the identical batch
# distributed-desync
MIN_CHECKPOINTS = 2  # parameter checkpoints after the first step, common to every process
MIN_DRIFTED = 2  # checkpoints at which the replicas differ
PARAM_REL_TOL = 1e-6  # sums differing by less than this share of the parameter's absolute sum are equal


def needs_processes(trace: Trace) -> str | None:
    d = trace.distributed
    if d is None:
        return "runs with `unstuck run --nproc-per-node N` only"
    if len(d.ranks) < 2:
        return f"facts of {len(d.ranks)} process(es) came back, needs 2"
    return None


def _same_sums(a, b, tol: float) -> bool:
    """Two replicas' per-parameter (sum, absolute sum) agree within `tol` of the absolute sums.
    Parameters that are non-finite in both agree: a run that blew up is `nonfinite-values`'
    business, not drift."""
    if len(a) != len(b):
        return False
    return all(abs(sa - sb) <= tol * max(aa, ab) if math.isfinite(sa) and math.isfinite(sb)
               else not math.isfinite(sa) and not math.isfinite(sb) for (sa, aa), (sb, ab) in zip(a, b))


def _largest_gap(a, b) -> tuple[int, float]:
    """The parameter whose sums differ most, relative to its absolute sum, and that difference."""
    gaps = [abs(sa - sb) / max(aa, ab) if max(aa, ab) > 0 else 0.0 for (sa, aa), (sb, ab) in zip(a, b)]
    i = max(range(len(gaps)), key=gaps.__getitem__) if gaps else -1
    return i, (gaps[i] if gaps else 0.0)


def _replicas(d: DistributedRun) -> str | None:
    """Why the processes' parameters cannot be compared as replicas, or None when they can."""
    first = d.ranks[0]
    if any(r.sharded for r in d.ranks):
        return "the parameters are shards (FSDP or DTensor), not replicas"
    if any(r.param_shapes != first.param_shapes for r in d.ranks):
        return "the processes hold parameters of different shapes (model or pipeline parallelism)"
    if not _common(d.ranks, "checksums"):
        return "no optimizer step was seen in every process"
    return None


def _common(ranks: list[RankFacts], attr: str) -> list[int]:
    ticks = set(getattr(ranks[0], attr))
    for r in ranks[1:]:
        ticks &= set(getattr(r, attr))
    return sorted(ticks)


def _in_step(d: DistributedRun, tol: float) -> bool:
    """The replicas are kept identical: wrapped for data parallelism in every process, or their
    parameters equal at every checkpoint every process recorded."""
    if all(r.wrappers for r in d.ranks):
        return True
    if _replicas(d) is not None:
        return False
    ticks = _common(d.ranks, "checksums")
    first = d.ranks[0]
    return all(_same_sums(r.checksums[k], first.checksums[k], tol) for k in ticks for r in d.ranks[1:])


def _ranks_text(ranks) -> str:
    names = [str(r) for r in ranks]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@rule("DD001", "distributed-duplicate-data", Severity.ERROR, "Every process trains on the same samples",
      requires=(needs_processes,),
      thresholds={"MIN_COMPARED_STEPS": MIN_COMPARED_STEPS, "DUPLICATE_SHARE": DUPLICATE_SHARE,
                  "PARAM_REL_TOL": PARAM_REL_TOL})
def duplicate_data(self, trace: Trace):
    """
    What it detects:
        In a distributed run, two or more processes feed their model the identical batch on at
        least {DUPLICATE_SHARE:.0%} of the sampled steps compared (at least
        {MIN_COMPARED_STEPS} steps with a batch fingerprint from every process: shapes, a sum and
        a few values of the input of every training forward of the step), while their replicas are kept identical (the model
        is wrapped in DistributedDataParallel/FSDP, or the replicas' parameters stay equal).
        Typically each process shuffles the whole dataset with the same seed, with no
        `DistributedSampler` and no indexing by rank.

        Deliberately not flagged: processes whose replicas are different on purpose (a
        hyperparameter sweep or an ensemble launched with torchrun, each process its own model
        on the same data); processes that see the same samples with different random
        augmentations (their batches differ); tensor-parallel shards that all need the same
        input (their parameters differ in shape, so they are no replicas); a GAN whose real
        batches are sharded but whose noise is the same in every process (a step's batches
        count as the same only when all of its forwards' inputs are).

    Why it stops learning:
        N processes compute the gradient of the same samples, so the averaged gradient is that
        of one process: the run does one process's work at N times the cost, every epoch
        covers 1/N of the data it claims to, and a learning rate scaled up for the larger
        effective batch is simply too high.

    Example:
        torch.manual_seed(42)
        loader = DataLoader(dataset, batch_size=32, shuffle=True)   # the same order in every process
        model = DistributedDataParallel(model)

    Fix:
        Give each process its own share of the data:
        sampler = DistributedSampler(dataset)          # shuffles; rank and world size from the process group
        loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)                   # a new order every epoch
        (or index by rank yourself: `dataset[rank::world_size]`).
    """
    t = self.thresholds
    d = trace.distributed
    ticks = _common(d.ranks, "batches")
    self.require(len(ticks), t.MIN_COMPARED_STEPS, "sampled steps with a batch from every process")
    duplicated = [k for k in ticks if len({r.batches[k] for r in d.ranks}) < len(d.ranks)]
    if len(duplicated) < t.DUPLICATE_SHARE * len(ticks) or not _in_step(d, t.PARAM_REL_TOL):
        return []
    last = duplicated[-1]
    groups: dict[tuple, list[int]] = {}
    for r in d.ranks:
        groups.setdefault(r.batches[last], []).append(r.rank)
    same = [g for g in groups.values() if len(g) > 1]
    lead = d.ranks[0]
    unsharded = [ld for ld in lead.loaders if not ld.distributed]
    site = unsharded[0].site if unsharded and unsharded[0].site else lead.batch_site
    loader = (f" The DataLoader built at {unsharded[0].site} uses a {unsharded[0].sampler}, not a "
              f"DistributedSampler." if unsharded and unsharded[0].site else "")
    share = len(duplicated) / len(ticks)
    msg = (f"On {len(duplicated)} of {len(ticks)} sampled steps compared ({share:.0%}, threshold "
           f"{t.DUPLICATE_SHARE:.0%}) processes {'; '.join(_ranks_text(g) for g in same)} of {d.world_size} "
           f"trained on the identical batch, while their replicas are kept in step: the processes repeat "
           f"each other's work instead of sharing the data.{loader}")
    return [self.finding(msg, site, "Shard the data by process: `sampler = DistributedSampler(dataset)`, "
                         "`DataLoader(dataset, batch_size=..., sampler=sampler)` (no `shuffle=True`), and "
                         "`sampler.set_epoch(epoch)` at the start of every epoch.",
                         shows_at=lead.batch_site, confidence=0.85, compared_steps=len(ticks),
                         duplicated_steps=len(duplicated), processes=d.world_size,
                         identical_ranks=tuple(tuple(g) for g in same),
                         samplers=tuple(ld.sampler for ld in lead.loaders[:SHOWN_NAMES]))]


@rule("DD002", "distributed-desync", Severity.ERROR, "The processes' model replicas drift apart",
      requires=(needs_processes,),
      thresholds={"MIN_CHECKPOINTS": MIN_CHECKPOINTS, "MIN_DRIFTED": MIN_DRIFTED, "PARAM_REL_TOL": PARAM_REL_TOL})
def desync(self, trace: Trace):
    """
    What it detects:
        In a distributed run, the processes' replicas start with identical parameters (equal
        per-parameter sums before the first optimizer step, within {PARAM_REL_TOL:g} of their
        absolute sums) but differ afterwards and never become equal again: they differ at every
        checkpoint (before the sampled optimizer steps, and at the end of the run) from the first
        difference on, at {MIN_DRIFTED} or more of them (of at least {MIN_CHECKPOINTS}
        checkpoints every process recorded after the start). Typically the data is sharded by
        rank, but the model is not wrapped in DistributedDataParallel, so each process follows
        only its own shard's gradient.

        Deliberately not flagged: replicas that start different (independent models per
        process on purpose: a sweep, an ensemble, different seeds); sharded parameters (FSDP,
        DTensor) and processes whose parameters differ in shape (pipeline or tensor
        parallelism), which are no replicas; replicas kept equal by hand (gradients all-reduced
        with `dist.all_reduce`) and DDP with `no_sync()` gradient accumulation, which stay equal;
        replicas averaged every few steps (local SGD: the script runs `all_reduce`/`broadcast`
        on the parameters themselves, or uses torch's model averagers), which drift in between
        by design.

    Why it stops learning:
        Nothing averages the gradients between the processes: N models each learn from 1/N of
        the data, they no longer agree, and the one you save (usually rank 0's) has seen only
        its own shard. With a shared evaluation or checkpoint this looks like a model that
        learns slower and worse than on one process.

    Example:
        X_shard = X[rank::world_size]
        model = Net()                                       # never wrapped
        opt = torch.optim.SGD(model.parameters(), lr=0.05)

    Fix:
        Wrap the model before building the optimizer, so that backward() averages the
        gradients across processes:
        model = torch.nn.parallel.DistributedDataParallel(Net())
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        (on GPUs: `DistributedDataParallel(Net().to(rank), device_ids=[rank])`).
    """
    t = self.thresholds
    d = trace.distributed
    why_not = _replicas(d)
    if why_not:
        raise NotJudged(why_not)
    if any(r.param_syncs for r in d.ranks):
        return []  # the script averages the replicas itself, now and then: drift in between is by design
    first, others = d.ranks[0], d.ranks[1:]
    start, *ticks = _common(d.ranks, "checksums")
    if not all(_same_sums(r.checksums[start], first.checksums[start], t.PARAM_REL_TOL) for r in others):
        return []  # different from the start: independent models on purpose
    self.require(len(ticks), t.MIN_CHECKPOINTS, "parameter checkpoints after the first step in every process")
    drifted = [k for k in ticks
               if not all(_same_sums(r.checksums[k], first.checksums[k], t.PARAM_REL_TOL) for r in others)]
    if len(drifted) < t.MIN_DRIFTED or drifted != ticks[ticks.index(drifted[0]):]:
        return []  # too little, or made equal again (periodic averaging, as in local SGD)
    last = ticks[-1]
    gaps = [(*_largest_gap(first.checksums[last], r.checksums[last]), r.rank) for r in others]
    index, gap, rank = max(gaps, key=lambda g: g[1])
    name = first.param_names[index] if 0 <= index < len(first.param_names) else "a parameter"
    wrapped = bool(first.wrappers)
    if wrapped:
        how = (f"although the model is wrapped in {first.wrappers[0]}: the parameters that step are not the "
               f"ones it averages (an optimizer over another copy of the model, `no_sync()` on every step, or "
               f"per-process learning rates)")
        site = first.wrap_site or first.model_site
    else:
        how = ("because the model is not wrapped in DistributedDataParallel (or FSDP), so nothing averages the "
               "gradients between the processes")
        site = first.model_site
    msg = (f"The {len(d.ranks)} replicas started with identical parameters, but differ after step {drifted[0]} "
           f"and on {len(drifted)} of {len(ticks)} checkpoints up to step {last} (threshold {t.MIN_DRIFTED}); "
           f"largest difference in `{name}` on rank {rank}: {gap:.2g} of its absolute sum (tolerance "
           f"{t.PARAM_REL_TOL:g}). They drift apart {how}.")
    return [self.finding(msg, site, "Wrap the model before building the optimizer: "
                         "`model = torch.nn.parallel.DistributedDataParallel(model)`, then "
                         "`opt = torch.optim.SGD(model.parameters(), ...)`.",
                         confidence=0.85, processes=d.world_size, checkpoints=len(ticks),
                         drifted_checkpoints=len(drifted), first_drift_step=drifted[0], parameter=name,
                         relative_difference=gap, wrapped=wrapped)]
