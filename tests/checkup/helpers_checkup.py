"""Tiny problems for the checkup's experiment tests."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from unstuck.checkup.problem import OptimizerSpec, Problem


def regression_problem(n=64, broadcast=False, seed=0, lr=1e-2, hidden=16) -> Problem:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = (x[:, :1] * 2 - x[:, 1:2]).reshape(n, 1)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    spec = OptimizerSpec(torch.optim.Adam, [(list(range(4)), {"lr": lr})])
    # broadcast: the prediction is squeezed to [N] while the target stays [N, 1] (the seed's bug)
    return Problem(model=model, inputs=(x,), target=y, loss_name="mse_loss", loss_call=F.mse_loss,
                   pred_tail=() if broadcast else (1,), optimizer=spec, batch_size=16)


def classification_problem(n=120, labels="signal", seed=0) -> Problem:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    if labels == "random":
        y = torch.randint(0, 2, (n,), generator=g)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    spec = OptimizerSpec(torch.optim.Adam, [(list(range(4)), {"lr": 1e-2})])
    return Problem(model=model, inputs=(x,), target=y, loss_name="cross_entropy", loss_call=F.cross_entropy,
                   pred_tail=(2,), optimizer=spec, batch_size=16)
