"""Hand-built Traces for rule unit tests: no training, no observers, just the records a rule reads.

Each builder takes the deciding measurement as an argument, so a test can put it just under
and just over the rule's threshold (read from the rule itself, never copied). `FIRING` maps
every rule code to a trace on which the rule reports: the golden renderings use them.
"""
from __future__ import annotations

from unstuck.diagnose import run_rules
from unstuck.findings import Status
from unstuck.rules import REGISTRY
from unstuck.trace import (ReshapeRecord, SequenceRecord, ActivationRecord, BackwardRecord, BroadcastRecord, CutRecord, Event, GradCallRecord,
                           InputRecord, Location, LossCall, ManualUpdateRecord, ModeRecord, OptimizerRecord,
                           ParamInfo, StepRecord, Trace)

LOSS_SITE = Location("train.py", 14, "<module>", "loss = loss_fn(model(x), y)")
OPT_SITE = Location("train.py", 9, "<module>", "opt = torch.optim.Adam(model.parameters(), lr=1e-3)")
STEP_SITE = Location("train.py", 17, "<module>", "opt.step()")
BACKWARD_SITE = Location("train.py", 16, "<module>", "loss.backward()")
MODEL_SITE = Location("train.py", 13, "<module>", "pred = model(x)")


def t(code: str):
    """The thresholds of a rule."""
    return REGISTRY[code].thresholds


def judge(code: str, trace: Trace):
    """(findings, status, detail) of one rule on a trace."""
    findings, runs = run_rules(trace, [REGISTRY[code]])
    return findings, runs[0].status, runs[0].detail


def fires(code: str, trace: Trace) -> bool:
    findings, status, detail = judge(code, trace)
    assert status is not Status.ERRORED, detail
    return bool(findings)


def skipped(code: str, trace: Trace) -> str | None:
    _, status, detail = judge(code, trace)
    return detail if status is Status.SKIPPED else None


# ------------------------------------------------------------------ records
def base(ticks: int = 100, **kw) -> Trace:
    tr = Trace(script="train.py", ticks=ticks, **kw)
    return tr


def with_model(tr: Trace, layers: int = 3, width: int = 16, optimizer: bool = True) -> Trace:
    """A stack of Linear layers: weight ids 1, 3, 5 ..., bias ids 2, 4, 6 ... in forward order."""
    pids = []
    for i in range(layers):
        tr.params[2 * i + 1] = ParamInfo(f"{i}.weight", width * width, (width, width), "Linear", i)
        tr.params[2 * i + 2] = ParamInfo(f"{i}.bias", width, (width,), "Linear", i)
        pids += [2 * i + 1, 2 * i + 2]
    tr.models.append("Sequential")
    if optimizer:
        tr.optimizers[0] = OptimizerRecord(key=0, cls="Adam", site=OPT_SITE, param_ids=tuple(pids),
                                           steps=tr.ticks, lrs=[1e-3] * tr.ticks, initial_lr=1e-3)
    return tr


def elems(tr: Trace) -> int:
    return tr.elems(tr.optimizers[0].param_ids) if tr.optimizers else 0


def step(tr: Trace, tick: int, **kw) -> StepRecord:
    total = elems(tr)
    fields = dict(tick=tick, opt=0, site=STEP_SITE, elems=total, frozen_elems=0, trainable_matrices=3,
                  no_grad_elems=0, backwards_since_step=1, checked_elems=0, stale_elems=0,
                  unreached_elems=0, used_elems=total, update_ratio=1e-3, grad_norm=1.0, param_norm=10.0,
                  lr=1e-3)
    fields.update(kw)
    rec = StepRecord(**fields)
    tr.steps.append(rec)
    return rec


def backward(tr: Trace, tick: int, value: float | None = 1.0, **kw) -> BackwardRecord:
    fields = dict(tick=tick, site=BACKWARD_SITE, loss_value=value, loss_finite=True, loss_is_leaf=False,
                  reached_elems=elems(tr) or 1, in_step=False)
    fields.update(kw)
    rec = BackwardRecord(**fields)
    tr.backwards.append(rec)
    return rec


def loss(tr: Trace, tick: int, fn: str = "mse_loss", **kw) -> LossCall:
    fields = dict(tick=tick, fn=fn, site=LOSS_SITE, pred_shape=(32, 1), target_shape=(32, 1), value=1.0,
                  pred_finite=True, target_finite=True, pred_std=1.0, target_std=1.0, target_mean=0.0,
                  target_min=-2.0, target_max=2.0, pred_min=-2.0, pred_max=2.0, baseline=1.0)
    fields.update(kw)
    rec = LossCall(**fields)
    tr.losses.append(rec)
    return rec


def training_run(ticks: int = 100, sampled: range | None = None, losses: bool = True, **step_kw) -> Trace:
    """A model, an optimizer and sampled steps with a backward pass each (and an mse loss call)."""
    tr = with_model(base(ticks))
    for tick in sampled if sampled is not None else range(0, ticks, 10):
        tr.sampled_ticks.append(tick)
        backward(tr, tick)
        step(tr, tick, **step_kw)
        if losses:
            loss(tr, tick)
    tr.backward_calls = tr.step_calls = ticks
    return tr


# ------------------------------------------------------------------ firing traces, one per rule
def ls001() -> Trace:
    tr = training_run(losses=False)
    tr.broadcasts.append(BroadcastRecord(tick=0, op="-", a_shape=(32, 1), b_shape=(32,), out_shape=(32, 32),
                                         site=LOSS_SITE, a_requires_grad=True, fully_reduced=True))
    return tr


def classification(fn: str, n: int = 2, producer: str | None = "softmax", **kw) -> Trace:
    tr = training_run(losses=False)
    for tick in range(n):
        loss(tr, tick, fn=fn, pred_shape=(32, 4), producer=producer, producer_dim=1,
             producer_ndim=2, **kw)
    return tr


def ls002(n: int = 2, row_sum_error: float = 1e-7, pred_min: float = 0.0) -> Trace:
    return classification("cross_entropy", n, row_sum_error=row_sum_error, row_exp_sum_error=0.5,
                          pred_min=pred_min, pred_max=0.9)


def ls003(n: int = 2, batch: int = 32) -> Trace:
    tr = training_run(losses=False)
    for tick in range(n):
        loss(tr, tick, fn="binary_cross_entropy_with_logits", pred_shape=(batch, 1),
             pred_in_unit=True, pred_min=0.1, pred_max=0.9, producer=None)
    return tr


def ls004(n: int = 2, pred_max: float = 0.9) -> Trace:
    return classification("nll_loss", n, producer=None, row_sum_error=1e-7, row_exp_sum_error=1e-7,
                          pred_min=0.0, pred_max=pred_max)


def ls005(n: int = 2) -> Trace:
    return classification("cross_entropy", n, producer="softmax", row_sum_error=7.0, row_exp_sum_error=9.0,
                          pred_min=0.0, pred_max=0.9)


def ls006(n: int = 2, share: float = 0.5) -> Trace:
    tr = training_run(losses=False)
    for tick in range(n):
        loss(tr, tick, producer="tanh", target_share_outside_pm1=share, target_min=0.0, target_max=10.0)
    return tr


def gf001(passes: int = 3) -> Trace:
    tr = training_run()
    tr.params[99] = ParamInfo("branches.a.weight", 64, (8, 8), "Linear", 5)
    tr.grad_reached = {pid: passes for pid in tr.optimizers[0].param_ids} | {99: passes}
    return tr


def gf002(frozen_share: float = 1.0, matrices: int = 0) -> Trace:
    tr = training_run()
    for s in tr.steps:
        s.frozen_elems = round(frozen_share * s.elems)
        s.trainable_matrices = matrices
    return tr


def gf003(unreached_steps: int = 5, share: float = 0.6) -> Trace:
    tr = training_run(sampled=range(unreached_steps))
    pid = 1
    tr.cuts.append(CutRecord(tick=0, op="detach()", site=Location("train.py", 12, "forward", "h = h.detach()"),
                             behind={pid}))
    for s in tr.steps:
        s.used_elems = round(tr.params[pid].numel / share)
        s.unreached_elems = tr.params[pid].numel
        s.unreached_params = (pid,)
    return tr


def input_record(tr: Trace, tick: int, **kw) -> InputRecord:
    fields = dict(tick=tick, shape=(32, 8), finite=True, abs_max=3.0, feature_std_max=1.0, feature_std_min=1.0,
                  mean_abs_max=0.1, site=MODEL_SITE)
    fields.update(kw)
    rec = InputRecord(**fields)
    tr.inputs.append(rec)
    return rec


def dt001(std_max: float = 255.0, std_min: float = 1.0) -> Trace:
    tr = training_run()
    for tick in range(3):
        input_record(tr, tick, feature_std_max=std_max, feature_std_min=std_min, abs_max=3 * std_max)
    return tr


def dt002(std: float = 1.0, mean: float = 50_000.0) -> Trace:
    tr = training_run(losses=False)
    for tick in range(3):
        loss(tr, tick, target_std=std, target_mean=mean)
    return tr


def dt003(dependence: float = 0.0) -> Trace:
    tr = training_run()
    tr.input_dependence = dependence
    tr.input_dependence_site = MODEL_SITE
    return tr


def in001(next_symmetric: bool = True) -> Trace:
    tr = training_run()
    tr.symmetric_params = [1, 3]  # layers 0 and 1 start with identical rows
    tr.symmetric_inputs = [3, 5] if next_symmetric else []
    return tr


def layered(ratio: float, layers: int = 3, steps: int = 5, **kw) -> Trace:
    tr = with_model(base(100), layers=layers)
    for tick in range(steps):
        norms = tuple((2 * i + 1, ratio if i == 0 else 1.0) for i in range(layers))
        backward(tr, tick)
        step(tr, tick, layer_grad_norms=norms, **kw)
    return tr


def in002(ratio: float = 1e-6, layers: int = 3) -> Trace:
    return layered(ratio, layers)


def in003(init_ratio: float = 1e5) -> Trace:
    tr = layered(1.0)
    tr.steps[0].grad_norm = init_ratio * tr.steps[0].param_norm
    return tr


def in004(dead: float = 1.0, units: int = 32, batch: int = 32, dead_steps: int = 4, steps: int = 4) -> Trace:
    tr = training_run()
    site = Location("train.py", 11, "forward", "h = torch.relu(self.fc1(x))")
    for tick in range(steps):
        tr.activations.append(ActivationRecord(tick=tick, kind="relu", site=site, units=units, batch=batch,
                                               dead_fraction=dead if tick < dead_steps else 0.0))
    return tr


def in005(zero_ticks: int = 3, ticks: int = 3) -> Trace:
    tr = training_run()
    site = Location("train.py", 20, "<module>", "uxx = torch.autograd.grad(ux.sum(), x, create_graph=True)[0]")
    for tick in range(ticks):
        tr.grad_calls.append(GradCallRecord(tick=tick, site=site, create_graph=True, relu_nodes=4, smooth_nodes=0,
                                            result_zero=tick < zero_ticks))
    return tr


def lr_run(ratio: float, losses: list[float] | None = None, judged: int = 10, ticks: int = 100) -> Trace:
    tr = with_model(base(ticks))
    losses = losses if losses is not None else [1.0] * judged
    for tick in range(max(judged, len(losses))):
        backward(tr, tick, value=losses[tick] if tick < len(losses) else 1.0)
        if tick < judged:
            step(tr, tick, update_ratio=ratio)
    tr.backward_calls = tr.step_calls = ticks
    return tr


def lr001(ratio: float = 1.0, late: float = 3.0, judged: int = 10) -> Trace:
    return lr_run(ratio, [1.0] * 7 + [late] * 3, judged)


def lr002(ratio: float = 1e-7, judged: int = 10) -> Trace:
    return lr_run(ratio, judged=judged)


def lr003(factor: float = 1e-6, collapsed_share: float = 0.9, n: int = 100, after: list[float] = ()) -> Trace:
    """An lr of 1e-2 cut to `factor` of it for the last `collapsed_share` of `n` steps, then `after`."""
    tr = training_run()
    at = round(n * (1 - collapsed_share))
    tr.optimizers[0].lrs = [1e-2] * at + [1e-2 * factor] * (n - at) + list(after)
    return tr


def modes(tr: Trace, tick: int, training: bool, grad: bool, module_type: str = "Dropout") -> None:
    tr.modes.append(ModeRecord(tick=tick, module="drop", module_type=module_type, training=training,
                               grad_enabled=grad, params_trainable=False, site=MODEL_SITE))


def md001(bad_ticks: int = 3, ticks: int = 3) -> Trace:
    tr = training_run(sampled=range(ticks))
    for tick in range(ticks):
        modes(tr, tick, training=tick < ticks - bad_ticks, grad=True)
    return tr


def md002(module_type: str = "BatchNorm1d", evaluations: int = 3) -> Trace:
    tr = training_run()
    for tick in range(evaluations):
        modes(tr, 5 + 10 * tick, training=True, grad=False, module_type=module_type)
    return tr


def nf001() -> Trace:
    tr = training_run(losses=False)
    loss(tr, 0, target_finite=False)
    loss(tr, 10)
    return tr


def nf002() -> Trace:
    tr = training_run()
    tr.backwards[-1].loss_finite = False
    tr.backwards[-1].loss_value = float("nan")
    return tr


def op001(stale_share: float = 1.0, stale_steps: int = 5, checked_steps: int = 5) -> Trace:
    tr = training_run(sampled=range(checked_steps))
    for i, s in enumerate(tr.steps):
        s.checked_elems = 1000
        s.stale_elems = round(1000 * stale_share) if i < stale_steps else 0
    return tr


def op001_manual(stale: int = 3, updated: int = 4, updates: int = 5) -> Trace:
    tr = with_model(base(50), optimizer=False)
    for tick in range(updates):
        backward(tr, tick)
        tr.manual_checks.append(ManualUpdateRecord(tick=tick, params_updated=updated, params_stale=stale))
    tr.backward_calls = tr.manual_updates = 50
    return tr


def op002(empty_steps: int = 5, steps: int = 5) -> Trace:
    tr = training_run(sampled=range(steps))
    for i, s in enumerate(tr.steps):
        if i < empty_steps:
            s.no_grad_elems = s.elems
    for s in tr.steps:
        tr.events.append(Event("backward", s.tick, None, False, Location("train.py", 18, "<module>", "")))
    return tr


def op003(backwards: int = 5) -> Trace:
    tr = with_model(base(0), optimizer=False)
    tr.optimizers[0] = OptimizerRecord(key=0, cls="SGD", site=OPT_SITE, param_ids=(1, 2))
    for tick in range(backwards):
        backward(tr, tick, reached_elems=10)
    tr.backward_calls = backwards
    return tr


def op005(steps: int = 5, backwards: int = 0) -> Trace:
    """Optimizer steps on empty gradients with no gradient pass at all."""
    tr = training_run(sampled=range(steps), no_grad_elems=elems(with_model(base(0))))
    tr.backwards.clear()
    tr.backward_calls = backwards
    return tr


def ls007(ticks=(0, 10), before=(32, 12, 3), after=(12, 32, 3)) -> Trace:
    tr = training_run()
    for tick in ticks:
        tr.reshapes.append(ReshapeRecord(tick, "view", before, after, MODEL_SITE, before[0]))
    return tr


def ls008(ticks=(0, 10, 20), shape=(32, 12, 3), batch_first=False, batch=32) -> Trace:
    tr = training_run(losses=False)
    for tick in ticks:
        loss(tr, tick, fn="cross_entropy", pred_shape=(batch, 2), target_shape=(batch,))
        tr.sequences.append(SequenceRecord(tick, "LSTM", batch_first, shape, MODEL_SITE, MODEL_SITE))
    return tr


def op004(retained: int = 60, checked: int = 62) -> Trace:
    tr = training_run()
    tr.retained_losses, tr.retained_checked = retained, checked
    return tr


def late_run(**kw) -> Trace:
    tr = training_run(losses=False)
    for tick in (80, 90, 99):
        loss(tr, tick, **kw)
    return tr


def sy001(pred_std: float = 0.01, target_std: float = 1.0) -> Trace:
    return late_run(pred_std=pred_std, target_std=target_std, target_mean=3.0)


def sy002(value: float = 1.0, baseline: float = 1.0) -> Trace:
    return late_run(value=value, baseline=baseline)


def checkup(**kw) -> Trace:
    from unstuck.checkup.results import CheckupResults
    tr = training_run()
    tr.checkup = CheckupResults(source="script", task="regression", samples=64, **kw)
    return tr


def ck001(fit: float = 0.2, samples: int = 4) -> Trace:
    from unstuck.checkup.results import OverfitRung
    return checkup(overfit=[OverfitRung(samples=samples, steps=200, loss_start=1.0, loss_end=0.9, fit=fit)])


def ck_scores(best: float, network: float, constant: float = 0.0, **kw) -> Trace:
    from unstuck.checkup.results import BaselineScore, NetworkScore
    baselines = [BaselineScore("constant", constant, "r2"), BaselineScore("linear", best, "r2"),
                 BaselineScore("trees", min(best, constant), "r2")]
    return checkup(baselines=baselines, constant_score=constant,
                   network=NetworkScore(score=network, metric="r2", optimizer="SGD", best_score=network, steps=300),
                   **kw)


def ck002(best: float = 0.01) -> Trace:
    return ck_scores(best, network=0.0)


def ck005(best: float = 0.01, reseen: int = 200, relabelled: int = 190, batches: int = 0,
          sorted_batches: int = 0, chance: float = 1.0) -> Trace:
    """Nothing beats the constant (as ck002), with the captured batches' label evidence."""
    trace = ck002(best)
    trace.checkup.labels = {"reseen": reseen, "relabelled": relabelled, "chance": chance, "batches": batches,
                            "sorted_batches": sorted_batches}
    return trace


def ck003(gap: float = 0.4, best: float = 0.9) -> Trace:
    return ck_scores(best, network=best - gap)


def ck004() -> Trace:
    from unstuck.checkup.results import Integrity
    return checkup(integrity=Integrity(rows=100, columns=4, nonfinite={"price": 3}))


MODEL_BUILT = Location("train.py", 8, "<module>", "model = Net()")
LOADER_BUILT = Location("train.py", 6, "<module>", "loader = DataLoader(ds, batch_size=32, shuffle=True)")


def distributed(world: int = 2, steps: int = 8, *, duplicated: int = 0, drift_from: int | None = None,
                start_gap: float = 0.0, wrapped: bool = True, gap: float = 0.01, equal_again=(), **facts) -> Trace:
    """A distributed run of `world` processes: `steps` sampled steps with a batch fingerprint
    each, the first `duplicated` of them the same batch in every process; parameter sums at
    ticks 0, 1, 2, 4, ... up to `steps`, equal in every process until tick `drift_from`, from
    which each rank's first parameter sum is off by `gap` of its absolute sum (`start_gap` at
    tick 0), except at the ticks `equal_again` (replicas averaged again)."""
    from unstuck.trace import DistributedRun, LoaderFacts, RankFacts
    tr = training_run()
    ticks = [0] + [k for k in range(1, steps + 1) if k & (k - 1) == 0]
    ranks = []
    for rank in range(world):
        f = RankFacts(rank=rank, world_size=world, wrappers=("DistributedDataParallel",) if wrapped else (),
                      model_site=MODEL_BUILT, batch_site=MODEL_SITE, param_names=("net.0.weight", "net.0.bias"),
                      param_shapes=((16, 4), (16,)),
                      loaders=[LoaderFacts(site=LOADER_BUILT, sampler="RandomSampler", distributed=False)])
        f.batches = {k: ((32.0, 4.0, float(k) if k < duplicated else float(k) + 1000 * rank),) for k in range(steps)}
        for k in ticks:
            drifting = drift_from is not None and k >= drift_from and k not in equal_again
            off = start_gap if k == 0 else (gap if drifting else 0.0)
            f.checksums[k] = ((1.0 + off * rank * 10.0, 10.0), (0.5, 2.0))
        for key, value in facts.items():
            setattr(f, key, value)
        ranks.append(f)
    tr.distributed = DistributedRun(world_size=world, ranks=ranks)
    return tr


def dd001(duplicated: int = 8) -> Trace:
    return distributed(duplicated=duplicated)


def dd002(drift_from: int = 1) -> Trace:
    return distributed(drift_from=drift_from, wrapped=False)


def dd003() -> Trace:
    """A shuffling DistributedSampler iterated for MIN_EPOCHS training epochs, epoch 0 each time."""
    from unstuck.trace import LoaderFacts
    epochs = int(t("DD003").MIN_EPOCHS)
    passes = [(8 * e, 8, 0, 8) for e in range(epochs)]  # (first tick, batches, sampler epoch, steps)
    tr = distributed()
    for f in tr.distributed.ranks:
        f.loaders = [LoaderFacts(site=LOADER_BUILT, sampler="DistributedSampler", distributed=True, shuffle=True,
                                 stock_order=True, passes=passes)]
    return tr


def dd004() -> Trace:
    """Gradients summed by hand and not divided: the stepped gradient is world-size times the mean."""
    steps = int(t("DD004").MIN_CHECKED_STEPS) + 1
    tr = distributed(wrapped=False)
    local = [(1.0, -2.0, 0.5), (3.0, 0.0, 1.5)]
    mean = [sum(v) / 2 for v in zip(*local)]
    for r, f in enumerate(tr.distributed.ranks):
        f.grad_syncs = 2 * steps
        f.grad_sync_site = MODEL_SITE
        f.grad_checks = {k: tuple((lv, 2.0 * m) for lv, m in zip(local[r], mean)) for k in range(1, steps + 1)}
    return tr


def dd005() -> Trace:
    """A DDP model with 2 unsynchronised BatchNorm layers fed MAX_BATCH samples per process."""
    th = t("DD005")
    tr = distributed()
    for f in tr.distributed.ranks:
        f.norm_batches = {k: (int(th.MAX_BATCH), 2, 0) for k in range(int(th.MIN_NORM_STEPS))}
    return tr


def dd006() -> Trace:
    """DDP processes that completed a different number of steps, without join()."""
    tr = distributed()
    for r, f in enumerate(tr.distributed.ranks):
        f.steps = 40 + r * int(t("DD006").MIN_STEP_GAP)
    return tr


FIRING = {
    "DD001": dd001, "DD002": dd002, "DD003": dd003, "DD004": dd004, "DD005": dd005, "DD006": dd006,
    "CK001": ck001, "CK002": ck002, "CK003": ck003, "CK004": ck004, "CK005": ck005,
    "LS001": ls001, "LS002": ls002, "LS003": ls003, "LS004": ls004, "LS005": ls005, "LS006": ls006,
    "GF001": gf001, "GF002": gf002, "GF003": gf003, "DT001": dt001, "DT002": dt002, "DT003": dt003,
    "IN001": in001, "IN002": in002, "IN003": in003, "IN004": in004, "IN005": in005,
    "LR001": lr001, "LR002": lr002, "LR003": lr003, "MD001": md001, "MD002": md002,
    "NF001": nf001, "NF002": nf002, "OP001": op001, "OP002": op002, "OP003": op003, "OP004": op004, "OP005": op005, "LS007": ls007, "LS008": ls008,
    "SY001": sy001, "SY002": sy002,
}
