"""DD003-DD006 on real two-process runs (gloo on CPU), each broken program beside its healthy
twins, and the rules on hand-built facts (no training)."""
from __future__ import annotations

import textwrap

import pytest

from helpers import causes
from unstuck.integrations.distributed import launch_and_diagnose
from unstuck.rules import lookup
from unstuck.trace import DistributedRun, LoaderFacts, RankFacts, Trace

PRELUDE = """
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(0)
X = torch.randn(256, 6)
y = X[:, :2].sum(1, keepdim=True)
"""


def run2(tmp_path, body: str, *, fails: bool = False):
    script = tmp_path / "train.py"
    script.write_text(PRELUDE + textwrap.dedent(body) + "\ndist.destroy_process_group()\n")
    report, trace = launch_and_diagnose(str(script), nproc=2)[:2]
    if not fails and report.script_error and "after the script ended" in report.script_error:
        report, trace = launch_and_diagnose(str(script), nproc=2)[:2]  # the teardown flake of test_distributed.py
    if not fails:
        assert report.script_status is None, report.script_error
    assert not report.tool_errors, report.tool_errors
    return report, trace


def finding(report, cause):
    return next(f for f in report.findings if f.cause == cause)


# ---------------------------------------------------------------- sampler-epoch-not-set
SAMPLER = """
ds = TensorDataset(X, y)
sampler = DistributedSampler(ds, shuffle={shuffle})
loader = DataLoader(ds, batch_size=32, sampler=sampler)
model = DDP(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
val = DataLoader(ds, batch_size=64, sampler=DistributedSampler(ds))  # shuffles too; evaluation only
for epoch in range(3):
    {set_epoch}
    for xb, yb in loader:
        opt.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        opt.step()
    with torch.no_grad():
        for xb, yb in val:
            model(xb)
"""


@pytest.mark.slow
def test_a_shuffling_sampler_without_set_epoch(tmp_path):
    report, _ = run2(tmp_path, SAMPLER.format(shuffle=True, set_epoch="pass"))
    assert causes(report) == ["sampler-epoch-not-set"]
    f = report.findings[0]
    assert f.location.code.startswith("loader = DataLoader")
    assert f.evidence_dict["epochs_observed"] == 3 and f.evidence_dict["set_epoch_calls"] == 0


@pytest.mark.parametrize("shuffle, set_epoch", [(True, "sampler.set_epoch(epoch)"), (False, "pass")])
@pytest.mark.slow
def test_set_epoch_or_no_shuffle_is_silent(tmp_path, shuffle, set_epoch):
    report, _ = run2(tmp_path, SAMPLER.format(shuffle=shuffle, set_epoch=set_epoch))
    assert causes(report) == []


# ---------------------------------------------------------------- gradient-average-wrong
AVERAGE = """
Xs, ys = X[rank::world], y[rank::world]
model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.02)
for epoch in range(2):
    for i in range(0, len(Xs), 16):
        opt.zero_grad()
        F.mse_loss(model(Xs[i:i + 16]), ys[i:i + 16]).backward()
        for p in model.parameters():
            {reduce}
        torch.nn.utils.clip_grad_norm_(model.parameters(), 100.0)
        opt.step()
"""


@pytest.mark.parametrize("reduce, scale", [
    ("dist.all_reduce(p.grad)", 2.0),                                    # summed, never divided
    ("p.grad /= world; dist.all_reduce(p.grad); p.grad /= world", 0.5),   # divided twice
])
@pytest.mark.slow
def test_gradients_reduced_by_hand_but_not_averaged(tmp_path, reduce, scale):
    report, _ = run2(tmp_path, AVERAGE.format(reduce=reduce))
    assert causes(report)[:1] == ["gradient-average-wrong"]
    f = finding(report, "gradient-average-wrong")
    assert f.evidence_dict["gradient_scale"] == pytest.approx(scale, rel=1e-3)
    assert f.location.code.startswith("for p in model.parameters()") or "all_reduce" in f.location.code


@pytest.mark.slow
def test_gradients_divided_before_the_sum_are_the_average(tmp_path):
    """Divided before the all-reduce: the collective sees the same values as in the summed bug,
    only the local gradient after backward tells them apart."""
    report, _ = run2(tmp_path, AVERAGE.format(reduce="p.grad /= world; dist.all_reduce(p.grad)"))
    assert causes(report) == []


# ---------------------------------------------------------------- batchnorm-not-synced
NORM = """
ds = TensorDataset(X, (y > 0).long().squeeze(1))
sampler = DistributedSampler(ds)
loader = DataLoader(ds, batch_size={batch}, sampler=sampler)
model = DDP(nn.Sequential(nn.Linear(6, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2)))
opt = torch.optim.SGD(model.parameters(), lr=0.02)
for step, (xb, yb) in enumerate(loader):
    opt.zero_grad()
    F.cross_entropy(model(xb), yb).backward()
    opt.step()
    if step == 24:
        break
"""


@pytest.mark.slow
def test_batchnorm_on_two_samples_per_process(tmp_path):
    report, _ = run2(tmp_path, NORM.format(batch=2))
    assert causes(report) == ["batchnorm-not-synced"]
    f = report.findings[0]
    assert f.evidence_dict["per_process_batch"] == 2 and f.evidence_dict["batchnorm_layers"] == 1
    assert f.location.code.startswith("model = DDP(nn.Sequential")


@pytest.mark.slow
def test_batchnorm_on_large_per_process_batches_is_silent(tmp_path):
    report, _ = run2(tmp_path, NORM.format(batch=32))
    assert causes(report) == []


# ---------------------------------------------------------------- uneven-ranks
UNEVEN = """
mine = slice(0, 100) if rank == 0 else slice(100, 180)
loader = DataLoader(TensorDataset(X[mine], y[mine]), batch_size=10)
model = DDP(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1)))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
with {context}:
    for epoch in range(2):
        for xb, yb in loader:
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()
"""


@pytest.mark.slow
def test_uneven_batches_without_join(tmp_path):
    """Rank 0 has 10 batches, rank 1 has 8: rank 0's 9th step waits in DDP's all-reduce for a
    partner that has left (gloo: 'Connection closed by peer')."""
    report, _ = run2(tmp_path, UNEVEN.format(context="torch.enable_grad()"), fails=True)
    assert report.script_status
    assert causes(report) == ["uneven-ranks"]
    assert report.findings[0].evidence_dict["batches_per_rank"] == (10, 8)
    assert report.findings[0].location.code.startswith("loader = DataLoader")


@pytest.mark.slow
def test_uneven_batches_inside_join_are_silent(tmp_path):
    report, trace = run2(tmp_path, UNEVEN.format(context="model.join()"))
    assert causes(report) == []
    assert [r.steps for r in trace.distributed.ranks] == [20, 16]  # uneven, and handled by join()


# ---------------------------------------------------------------- on hand-built facts
def _trace(ranks: list[RankFacts], optimizer: str = "SGD") -> Trace:
    from unstuck.trace import OptimizerRecord
    trace = Trace(script="train.py", ticks=10)
    trace.optimizers[1] = OptimizerRecord(key=1, cls=optimizer, site=None, param_ids=())
    trace.distributed = DistributedRun(world_size=len(ranks), ranks=ranks)
    return trace


def _detect(code: str, trace: Trace):
    (rule,) = lookup(code)
    assert rule.skip_reason(trace) is None
    return rule.detect(rule, trace)


def _grad_ranks(scale: float, ticks=range(1, 7)) -> list[RankFacts]:
    local = [(1.0, -2.0, 0.5), (3.0, 0.0, 1.5)]  # per rank, per parameter
    mean = [sum(v) / 2 for v in zip(*local)]
    return [RankFacts(rank=r, world_size=2, grad_syncs=12,
                      grad_checks={k: tuple((lv, scale * m) for lv, m in zip(local[r], mean)) for k in ticks})
            for r in range(2)]


@pytest.mark.parametrize("scale, found", [(2.0, True), (0.5, True), (4.0, True), (1.0, False), (0.7, False)])
def test_gradient_scale_against_the_mean_of_local_gradients(scale, found):
    assert bool(_detect("DD004", _trace(_grad_ranks(scale)))) is found


def test_gradient_scale_under_adam_is_info():
    from unstuck.findings import Severity
    (f,) = _detect("DD004", _trace(_grad_ranks(2.0), optimizer="Adam"))
    assert f.severity is Severity.INFO


def test_sampler_rule_needs_two_training_epochs_with_one_epoch_value():
    def ranks(passes, shuffle=True, stock=True):
        return [RankFacts(rank=r, world_size=2, loaders=[LoaderFacts(site=None, sampler="DistributedSampler",
                distributed=True, shuffle=shuffle, stock_order=stock, passes=passes)]) for r in range(2)]
    same = [(0, 8, 0, 8), (8, 8, 0, 8)]
    assert _detect("DD003", _trace(ranks(same)))
    assert not _detect("DD003", _trace(ranks([(0, 8, 0, 8), (8, 8, 1, 8)])))
    assert not _detect("DD003", _trace(ranks([(0, 8, 0, 8), (8, 8, 0, 0), (8, 8, 0, 0)])))  # evaluations
    assert not _detect("DD003", _trace(ranks(same, shuffle=False)))
    assert not _detect("DD003", _trace(ranks(same, stock=False)))


def test_uneven_steps_of_independent_processes_are_not_judged():
    from unstuck.rules.base import NotJudged
    ranks = [RankFacts(rank=r, world_size=2, steps=10 + r) for r in range(2)]
    with pytest.raises(NotJudged):
        _detect("DD006", _trace(ranks))
    for r in ranks:
        r.wrappers = ("DistributedDataParallel",)
    assert _detect("DD006", _trace(ranks))
    ranks[1].joined = True
    assert not _detect("DD006", _trace(ranks))


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
