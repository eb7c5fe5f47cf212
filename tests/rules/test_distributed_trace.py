"""DD001/DD002 on hand-built distributed Traces, on both sides of each threshold."""
import dataclasses
import math

from tests.rules.tracebuild import distributed, fires, judge, skipped, t, training_run
from unstuck.trace import DistributedRun


def test_single_process_runs_skip_the_distributed_rules():
    assert "--nproc-per-node N` only" in skipped("DD001", training_run())
    tr = distributed()
    tr.distributed = DistributedRun(world_size=2, ranks=tr.distributed.ranks[:1], missing=(1,))
    assert "needs 2" in skipped("DD002", tr)


def test_duplicate_share_threshold():
    steps = 10
    need = math.ceil(t("DD001").DUPLICATE_SHARE * steps)
    assert fires("DD001", distributed(steps=steps, duplicated=need))
    assert not fires("DD001", distributed(steps=steps, duplicated=need - 1))


def test_duplicates_need_enough_compared_steps():
    few = int(t("DD001").MIN_COMPARED_STEPS) - 1
    assert "needs" in skipped("DD001", distributed(steps=few, duplicated=few))
    enough = int(t("DD001").MIN_COMPARED_STEPS)
    assert fires("DD001", distributed(steps=enough, duplicated=enough))


def test_duplicate_finding_points_at_the_unsharded_loader():
    findings, _, _ = judge("DD001", distributed(duplicated=8))
    f = findings[0]
    assert f.location.code.startswith("loader = DataLoader")
    assert f.evidence_dict["identical_ranks"] == ((0, 1),)
    assert "RandomSampler" in f.message


def test_same_batches_of_independent_replicas_are_silent():
    """A sweep: every process trains its own model (never wrapped, different from the start) on the same data."""
    assert not fires("DD001", distributed(duplicated=8, wrapped=False, start_gap=0.5, drift_from=1))


def test_same_batches_of_identical_unwrapped_replicas_fire():
    """No DDP, same start, same data: the replicas stay equal, the processes repeat each other."""
    assert fires("DD001", distributed(duplicated=8, wrapped=False))


def test_three_processes_two_of_them_duplicated():
    tr = distributed(world=3, duplicated=0)
    second, third = tr.distributed.ranks[1], tr.distributed.ranks[2]
    third.batches = dict(second.batches)
    findings, _, _ = judge("DD001", tr)
    assert findings and findings[0].evidence_dict["identical_ranks"] == ((1, 2),)


def test_desync_fires_on_drift_after_an_equal_start():
    findings, _, _ = judge("DD002", distributed(drift_from=1, wrapped=False))
    f = findings[0]
    assert f.location.code == "model = Net()"
    assert f.evidence_dict["parameter"] == "net.0.weight" and not f.evidence_dict["wrapped"]


def test_desync_tolerance():
    tol = t("DD002").PARAM_REL_TOL
    assert not fires("DD002", distributed(drift_from=1, wrapped=False, gap=tol / 2))
    assert fires("DD002", distributed(drift_from=1, wrapped=False, gap=tol * 2))


def test_desync_needs_drift_at_the_last_checkpoint_and_enough_of_them():
    # steps 8: checkpoints 1, 2, 4, 8 after the start; drift from 8 is one drifted checkpoint
    assert not fires("DD002", distributed(drift_from=8, wrapped=False))
    assert int(t("DD002").MIN_DRIFTED) == 2 and fires("DD002", distributed(drift_from=4, wrapped=False))
    few = distributed(steps=1, drift_from=1, wrapped=False)  # one checkpoint after the start
    assert "needs" in skipped("DD002", few)


def test_replicas_that_start_different_are_silent():
    assert not fires("DD002", distributed(drift_from=1, wrapped=False, start_gap=0.5))


def test_sharded_or_differently_shaped_parameters_are_not_replicas():
    sharded = distributed(drift_from=1, sharded=True)
    assert "shards" in skipped("DD002", sharded)
    tr = distributed(drift_from=1, wrapped=False)
    tr.distributed.ranks[1] = dataclasses.replace(tr.distributed.ranks[1], param_shapes=((8, 4), (8,)))
    assert "different shapes" in skipped("DD002", tr)


def test_wrapped_replicas_that_drift_point_at_the_wrapper():
    from tests.rules.tracebuild import LOADER_BUILT
    findings, _, _ = judge("DD002", distributed(drift_from=1, wrapped=True, wrap_site=LOADER_BUILT))
    assert findings[0].location == LOADER_BUILT and "although" in findings[0].message


def test_replicas_that_become_equal_again_are_silent():
    """Local SGD: the replicas drift between averaging steps and are made equal again."""
    assert not fires("DD002", distributed(steps=16, drift_from=1, wrapped=False, equal_again=(4,)))
    assert fires("DD002", distributed(steps=16, drift_from=1, wrapped=False))


def test_replicas_averaged_by_hand_are_silent():
    tr = distributed(steps=16, drift_from=1, wrapped=False)
    tr.distributed.ranks[1].param_syncs = 3
    assert not fires("DD002", tr)


def test_replicas_that_blow_up_together_are_no_drift():
    tr = distributed(steps=16)
    for r in tr.distributed.ranks:
        for k in (4, 8, 16):
            r.checksums[k] = ((float("nan"), float("nan")), (float("inf"), float("inf")))
    assert not fires("DD002", tr)
