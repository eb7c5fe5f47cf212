import math

import torch

from helpers_checkup import regression_problem

from unstuck.checkup.optimizers import candidates, compare_optimizers


def test_every_optimizer_starts_from_the_same_weights_and_learns():
    p = regression_problem()
    runs = compare_optimizers(p, p.inputs, p.target, suggestion=3e-3, steps=60)
    names = [r.name for r in runs]
    assert names[0] == "Adam (yours)" and runs[0].user
    assert {"SGD+momentum", "AdamW", "L-BFGS", "Adam then L-BFGS", "Adam at the suggested lr"} <= set(names)
    starts = {round(r.losses[0], 6) for r in runs}
    assert len(starts) == 1
    for r in runs:
        assert math.isfinite(r.final_loss) and r.final_loss < r.losses[0]


def test_the_users_own_setting_is_not_repeated():
    p = regression_problem(lr=1e-3)
    names = [c[0] for c in candidates(p, None)]
    assert "Adam" not in names and names[0] == "Adam (yours)"
    p2 = regression_problem(lr=1e-2)
    assert "Adam" in [c[0] for c in candidates(p2, None)]


def test_lbfgs_runs_full_batch():
    p = regression_problem()
    runs = compare_optimizers(p, p.inputs, p.target, steps=30)
    lbfgs = next(r for r in runs if r.name == "L-BFGS")
    assert lbfgs.final_loss < 0.5 * lbfgs.losses[0]
    assert torch.get_num_threads() >= 1
