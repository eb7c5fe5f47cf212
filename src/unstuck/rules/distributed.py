"""Distributed training: the processes of one run, compared with each other.

These rules read `trace.distributed`, the facts every process of `unstuck run --nproc-per-node N`
(or of a torchrun launch of `unstuck run`) recorded (`observe.distributed`): a fingerprint of
the batch each process trained on at each sampled step, and per-parameter sums of each
replica's parameters before the first optimizer step, before the sampled steps and at the end.
In a single process they are skipped.
"""
from __future__ import annotations

import math

from unstuck.reportdata import Severity
from unstuck.rules.base import SHOWN_NAMES, NotJudged, rule
from unstuck.rules.links import SYMPTOMS
from unstuck.trace import DistributedRun, RankFacts, Trace

# distributed-duplicate-data
MIN_COMPARED_STEPS = 3  # sampled steps with a batch fingerprint from every process
DUPLICATE_SHARE = 0.8  # share of those steps on which two or more processes had the identical batch
# distributed-desync
MIN_CHECKPOINTS = 2  # parameter checkpoints after the first step, common to every process
MIN_DRIFTED = 2  # checkpoints at which the replicas differ
PARAM_REL_TOL = 1e-6  # sums differing by less than this share of the parameter's absolute sum are equal
# sampler-epoch-not-set
MIN_EPOCHS = 2  # training epochs of a shuffling DistributedSampler, all with the same epoch
# gradient-average-wrong
MIN_CHECKED_STEPS = 3  # sampled steps whose local and stepped gradients every process checked
SCALE_TOL = 0.1  # a step's gradient / the average within this share of a power of the world size
AGREE_SHARE = 0.8  # share of the checked steps on which it is
FIT_TOL = 0.05  # residual of the stepped gradient sums against a multiple of the averaged ones
MAX_POWER = 2  # powers of the world size judged (summed twice: 2; divided twice: -1)
# Optimizers whose step barely depends on the scale of the gradient (normalised by its moments)
SCALE_FREE_OPTIMIZERS = frozenset({"Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
                                   "SparseAdam", "Adafactor"})
# batchnorm-not-synced
MAX_BATCH = 4  # samples per process at or below which BatchNorm statistics need synchronising
MIN_NORM_STEPS = 3  # sampled training steps through BatchNorm layers
# uneven-ranks
MIN_STEP_GAP = 1  # completed steps by which the processes differ


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
      requires=(needs_processes,), explains=SYMPTOMS,
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


# ---------------------------------------------------------------- DD003 sampler-epoch-not-set
def _training_passes(loader) -> list[tuple[int, int, int, int]]:
    """The passes over a loader during which the process trained (steps taken before the next
    pass of any loader began; passes begun with gradients disabled are evaluations)."""
    return [p for p in loader.passes if p[-1] > 0]  # (tick, batches, epoch, steps)


@rule("DD003", "sampler-epoch-not-set", Severity.WARNING,
      "The DistributedSampler shuffles every epoch into the same order",
      requires=(needs_processes,), thresholds={"MIN_EPOCHS": MIN_EPOCHS})
def sampler_epoch_not_set(self, trace: Trace):
    """
    What it detects:
        A `DataLoader` whose `DistributedSampler(shuffle=True)` (its own ordering, `__iter__`
        not overridden) was iterated for {MIN_EPOCHS} or more training epochs (passes during which
        optimizer steps ran; passes begun under `no_grad` are evaluations) with the sampler's
        `epoch` the same at the start of every one of them: `set_epoch` was never called, or
        always with the same value.

        Deliberately not flagged: `shuffle=False` (evaluation, or an order fixed on purpose); a
        single epoch; a subclass with its own `__iter__` (it may reshuffle by itself); a sampler
        that is only iterated for evaluation.

    Why it stops learning:
        DistributedSampler draws its permutation from `seed + epoch`. Without
        `sampler.set_epoch(epoch)` the epoch stays 0, so every epoch visits the samples in the
        same order and each process sees the same fixed batches: the shuffling that breaks the
        correlation between successive gradient steps is gone, which slows convergence and can
        make the loss curve repeat a pattern every epoch.

    Example:
        sampler = DistributedSampler(dataset, shuffle=True)
        loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            for xb, yb in loader:        # the same order every epoch
                ...

    Fix:
        Call `sampler.set_epoch(epoch)` at the start of every epoch:
        for epoch in range(epochs):
            sampler.set_epoch(epoch)     # a new permutation each epoch, the same in every process
            for xb, yb in loader:
                ...
    """
    t = self.thresholds
    lead = trace.distributed.ranks[0]
    found = []
    for ld in lead.loaders:
        if not ld.shuffle or not ld.stock_order:
            continue
        passes = _training_passes(ld)
        if len(passes) < t.MIN_EPOCHS or len({p[2] for p in passes}) > 1:
            continue
        epoch = passes[0][2]
        calls = (f"`set_epoch` was called {ld.set_epoch_calls} time(s), always with {epoch}"
                 if ld.set_epoch_calls else "`set_epoch` was never called")
        msg = (f"The DataLoader built at {ld.site or 'an unknown line'} with a DistributedSampler(shuffle=True) "
               f"ran {len(passes)} training epochs (threshold {t.MIN_EPOCHS}) with the sampler's epoch at "
               f"{epoch} every time: {calls}, so every epoch visits the samples in the same order.")
        found.append(self.finding(msg, ld.site, "Call `sampler.set_epoch(epoch)` at the start of every epoch, "
                                  "before iterating the DataLoader.", confidence=0.7,
                                  epochs_observed=len(passes), set_epoch_calls=ld.set_epoch_calls,
                                  sampler_epoch=epoch, sampler=ld.sampler))
    return found[:1]


# ---------------------------------------------------------------- DD004 gradient-average-wrong
def _gradient_scale(d: DistributedRun, tick: int, fit_tol: float) -> float | None:
    """How many times the cross-process mean of the local gradients the gradient a step used is
    (least squares over the per-parameter sums), or None when it is no multiple of it."""
    rows = [r.grad_checks[tick] for r in d.ranks]
    if any(len(row) != len(rows[0]) for row in rows):
        return None
    mean = [sum(row[i][0] for row in rows) / len(rows) for i in range(len(rows[0]))]
    final = [g[1] for g in rows[0]]
    if not all(map(math.isfinite, mean + final)):
        return None
    mm = sum(m * m for m in mean)
    ff = sum(f * f for f in final)
    if mm <= 0 or ff <= 0:
        return None
    scale = sum(f * m for f, m in zip(final, mean)) / mm
    residual = math.sqrt(sum((f - scale * m) ** 2 for f, m in zip(final, mean)) / ff)
    return scale if residual <= fit_tol and scale > 0 else None


@rule("DD004", "gradient-average-wrong", Severity.WARNING,
      "Gradients reduced by hand are not the average across processes",
      requires=(needs_processes,), explains=("lr-too-high", "lr-too-low", "exploding-gradients", "nonfinite-values"),
      thresholds={"MIN_CHECKED_STEPS": MIN_CHECKED_STEPS, "SCALE_TOL": SCALE_TOL,
                  "AGREE_SHARE": AGREE_SHARE, "FIT_TOL": FIT_TOL, "MAX_POWER": MAX_POWER})
def gradient_average_wrong(self, trace: Trace):
    """
    What it detects:
        The script reduces gradients itself (`dist.all_reduce(p.grad)`, no
        DistributedDataParallel) and the gradient the optimizer step uses is the world size
        times (or 1 / the world size times, up to the power {MAX_POWER}) the true average: the
        mean over the processes of each local gradient right after backward. Measured on
        sampled steps, on at least {MIN_CHECKED_STEPS} steps every process checked, where the
        step's gradient is a multiple of that average (residual at most {FIT_TOL:.0%}): on
        {AGREE_SHARE:.0%} of them the multiple is within {SCALE_TOL:.0%} of the same power of
        the world size.

        Deliberately not flagged: gradients divided by the world size before or after the
        all-reduce, `ReduceOp.AVG`, DDP; gradient clipping (its factor changes from step to step);
        gradients reduced inside backward hooks (not measured). Under optimizers whose step
        barely depends on the gradient's scale (Adam, RMSprop, Adagrad and their kin) it is info.

    Why it stops learning:
        `all_reduce` sums by default. Without the division by the world size every update is N
        times what the learning rate says, so a learning rate tuned on one process diverges or
        oscillates on N; divided twice, every update is N times too small and training crawls.

    Example:
        loss.backward()
        for p in model.parameters():
            dist.all_reduce(p.grad)          # SUM over N processes
        opt.step()                           # an N-times larger step

    Fix:
        Divide the summed gradients by the number of processes, or wrap the model in
        DistributedDataParallel, which averages for you:
        for p in model.parameters():
            dist.all_reduce(p.grad)
            p.grad /= dist.get_world_size()  # the average (or op=dist.ReduceOp.AVG on NCCL)
    """
    t = self.thresholds
    d = trace.distributed
    if any(r.wrappers or r.sharded for r in d.ranks):
        raise NotJudged("the model is wrapped for data parallelism: it averages the gradients itself")
    ticks = _common(d.ranks, "grad_checks")
    scales = [s for s in (_gradient_scale(d, k, t.FIT_TOL) for k in ticks) if s is not None]
    self.require(len(scales), t.MIN_CHECKED_STEPS, "sampled steps with gradients reduced by hand, checked in every process")
    world = d.world_size
    middle = sorted(scales)[len(scales) // 2]
    power = round(math.log(middle) / math.log(world))
    if power == 0 or abs(power) > t.MAX_POWER:
        return []
    expected = float(world) ** power
    agree = [s for s in scales if abs(s / expected - 1) <= t.SCALE_TOL]
    if len(agree) < t.AGREE_SHARE * len(scales):
        return []
    lead = d.ranks[0]
    opts = sorted({o.cls for o in trace.optimizers.values()})
    scale_free = bool(opts) and all(name in SCALE_FREE_OPTIMIZERS for name in opts)
    what = ("summed, never divided by the world size" if power == 1 else
            "reduced twice without dividing" if power > 1 else "divided by the world size once too often")
    effect = (f"every update is {middle:.3g} times what the learning rate says" if power > 0 else
              f"every update is {middle:.3g} of what the learning rate says")
    msg = (f"On {len(agree)} of {len(scales)} checked steps (threshold {t.AGREE_SHARE:.0%} of at least "
           f"{t.MIN_CHECKED_STEPS:g}) the gradient the optimizer step used was {middle:.3g} times the average of the "
           f"{world} processes' local gradients (expected 1; within {t.SCALE_TOL:.0%} of {expected:.3g}): the "
           f"gradients were {what}, so {effect}.")
    if scale_free:
        msg += f" Under {', '.join(opts)} the step size barely depends on the gradient's scale, so the effect is small."
    fix = ("Divide the reduced gradients by the world size: `dist.all_reduce(p.grad); p.grad /= world_size`"
           if power > 0 else "Divide by the world size once: `dist.all_reduce(p.grad); p.grad /= world_size`")
    return [self.finding(msg, lead.grad_sync_site, fix + " (or wrap the model in DistributedDataParallel).",
                         severity=Severity.INFO if scale_free else None, confidence=0.8,
                         gradient_scale=middle, expected_scale=1.0, processes=world,
                         checked_steps=len(scales), agreeing_steps=len(agree), grad_collectives=lead.grad_syncs,
                         optimizers=tuple(opts[:SHOWN_NAMES]))]


# ---------------------------------------------------------------- DD005 batchnorm-not-synced
@rule("DD005", "batchnorm-not-synced", Severity.WARNING,
      "BatchNorm statistics over a handful of samples per process",
      requires=(needs_processes,), thresholds={"MAX_BATCH": MAX_BATCH, "MIN_NORM_STEPS": MIN_NORM_STEPS})
def batchnorm_not_synced(self, trace: Trace):
    """
    What it detects:
        A model wrapped for data parallelism (DistributedDataParallel) with BatchNorm layers in
        training mode that are not `SyncBatchNorm`, trained with at most {MAX_BATCH} samples per
        process (the median first dimension of the model's input over at least
        {MIN_NORM_STEPS} sampled training steps).

        Deliberately not flagged: `SyncBatchNorm` (converted with
        `nn.SyncBatchNorm.convert_sync_batchnorm`); BatchNorm in eval mode (frozen statistics, as
        in detection backbones); per-process batches above {MAX_BATCH}; GroupNorm/LayerNorm;
        models that are not wrapped (single-process BatchNorm is the user's own choice).

    Why it stops learning:
        DDP averages gradients but not batch statistics: each BatchNorm normalises over its own
        process's few samples. With 2 samples every feature becomes about -1 or +1, and with a
        handful the mean and variance are so noisy that training is slow and unstable, while
        the running statistics used in evaluation describe something else than what the network
        was trained on.

    Example:
        model = DistributedDataParallel(nn.Sequential(nn.Linear(10, 64), nn.BatchNorm1d(64), ...))
        loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds))

    Fix:
        Synchronise the statistics across processes before wrapping:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)   # GPU processes
        model = DistributedDataParallel(model)
        (or use larger per-process batches, or GroupNorm/LayerNorm).
    """
    t = self.thresholds
    d = trace.distributed
    if not all(r.wrappers for r in d.ranks):
        raise NotJudged("the model is not wrapped for data parallelism in every process")
    lead = d.ranks[0]
    seen = [(batch, plain) for batch, plain, _ in lead.norm_batches.values() if plain > 0 and batch > 0]
    self.require(len(seen), t.MIN_NORM_STEPS, "sampled training steps through BatchNorm layers")
    batch = sorted(b for b, _ in seen)[len(seen) // 2]
    if batch > t.MAX_BATCH:
        return []
    layers = max(p for _, p in seen)
    msg = (f"The model wrapped in {lead.wrappers[0]} has {layers} BatchNorm layer(s) in training mode, not "
           f"synchronised, and each of the {d.world_size} processes feeds it {batch} sample(s) per step (median of "
           f"{len(seen)} sampled steps; threshold {t.MAX_BATCH:g}): every BatchNorm normalises over its own "
           f"process's {batch} sample(s), not over the {batch * d.world_size} of the global batch.")
    return [self.finding(msg, lead.model_site or lead.wrap_site,
                         "Convert before wrapping: `model = nn.SyncBatchNorm.convert_sync_batchnorm(model)` (GPU "
                         "processes), or use larger per-process batches, or GroupNorm/LayerNorm.",
                         shows_at=lead.wrap_site, confidence=0.6, per_process_batch=batch, batchnorm_layers=layers,
                         processes=d.world_size, global_batch=batch * d.world_size, sampled_steps=len(seen))]


# ---------------------------------------------------------------- DD006 uneven-ranks
def _uneven_loader(d: DistributedRun):
    """The first DataLoader (built at the same line in every process) whose first training
    pass holds a different number of batches in different processes: (its index, batches per rank)."""
    count = min(len(r.loaders) for r in d.ranks)
    for i in range(count):
        loaders = [r.loaders[i] for r in d.ranks]
        if len({ld.site for ld in loaders}) > 1:
            continue
        firsts = [_training_passes(ld)[:1] for ld in loaders]
        if not all(firsts):
            continue
        batches = [f[0][1] for f in firsts]
        if min(batches) >= 0 and len(set(batches)) > 1:
            return i, batches
    return None


@rule("DD006", "uneven-ranks", Severity.ERROR, "The processes run different numbers of training steps",
      requires=(needs_processes,), thresholds={"MIN_STEP_GAP": MIN_STEP_GAP})
def uneven_ranks(self, trace: Trace):
    """
    What it detects:
        Processes whose every step meets the others in a collective (the model wrapped in
        DistributedDataParallel, or gradients all-reduced by hand in every process) that do not
        run the same number of steps, outside a `Join` context: the training DataLoader holds a
        different number of batches per epoch in different processes, or the processes completed
        step counts that differ by {MIN_STEP_GAP} or more.

        Deliberately not flagged: `model.join()` (DDP's `Join` context, made for uneven inputs);
        `DistributedSampler`, which pads every process to the same number of samples;
        independent processes (a sweep: no collective per step), which may take any number of
        steps; evaluation loaders (passes under `no_grad`).

    Why it stops learning:
        A collective completes only when every process joins it. The process with more batches
        enters its extra step's gradient all-reduce alone: under NCCL it hangs until the timeout
        (30 minutes by default) and the job dies without finishing the epoch; under gloo it
        crashes when the other process exits ("Connection closed by peer"); where the extra
        steps run no collective, the replicas silently drift apart.

    Example:
        shard = dataset[bounds[rank]:bounds[rank + 1]]       # shards of different sizes
        for xb, yb in DataLoader(shard, batch_size=10):      # 10 batches here, 8 there
            ...                                              # DDP step

    Fix:
        Give every process the same number of batches: `DistributedSampler(dataset)` (pads to
        equal shares) or `drop_last=True` on equal shards; or wrap the loop in
        `with model.join():`, which shadows the missing processes' collectives.
    """
    t = self.thresholds
    d = trace.distributed
    lockstep = all(r.wrappers for r in d.ranks) or all(r.grad_syncs for r in d.ranks)
    if not lockstep or any(r.sharded for r in d.ranks):
        raise NotJudged("the processes do not meet in a collective at every step (no DDP, no gradients reduced by hand)")
    if any(r.joined for r in d.ranks):
        return []  # Join handles uneven inputs
    lead = d.ranks[0]
    steps = [r.steps for r in d.ranks]
    uneven = _uneven_loader(d)
    gap = max(steps) - min(steps)
    if uneven is None and gap < t.MIN_STEP_GAP:
        return []
    per_rank = ", ".join(f"rank {r.rank}: {s}" for r, s in zip(d.ranks, steps))
    if uneven is not None:
        index, batches = uneven
        loader = lead.loaders[index]
        counts = ", ".join(f"rank {r.rank}: {b}" for r, b in zip(d.ranks, batches))
        msg = (f"The DataLoader built at {loader.site or 'an unknown line'} holds a different number of batches per "
               f"epoch in different processes ({counts}), and the training loop runs no `join()`: the process "
               f"with more batches enters its extra steps' collectives alone, which hangs or crashes the run. "
               f"Steps completed: {per_rank}.")
        site = loader.site
    else:
        batches = []
        msg = (f"The processes completed different numbers of training steps ({per_rank}; gap {gap}, threshold "
               f"{t.MIN_STEP_GAP:g}) although every step meets the others in a collective, and no `join()` "
               f"handles the uneven inputs.")
        site = lead.batch_site or lead.model_site
    return [self.finding(msg, site, "Give every process the same number of batches (`DistributedSampler`, or "
                         "`drop_last=True` on equal shards), or train inside `with model.join():`.",
                         confidence=0.8, steps_per_rank=tuple(steps), batches_per_rank=tuple(batches),
                         processes=d.world_size)]
