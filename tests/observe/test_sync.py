"""No host-device synchronisation on unwatched steps: the tool reads no tensor value there.

Every way Python code turns a tensor into a host value (`.item()`, `.tolist()`, `.cpu()`,
`.numpy()`, `bool()`, `float()`, `int()`) is wrapped for the test; a call made from unstuck's
own files while the session is not watching the step is counted. On a GPU each such call
would wait for the device."""
import os
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import unstuck
from unstuck.logbook.steplog import StepLog
from unstuck.observe.session import Session

TOOL_DIR = os.path.dirname(os.path.abspath(unstuck.__file__))
CONVERSIONS = ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__")


@pytest.fixture
def counted(monkeypatch):
    calls = []
    state = {"session": None}
    for name in CONVERSIONS:
        original = getattr(torch.Tensor, name)

        def wrapper(self, *args, __original=original, __name=name, **kwargs):
            s = state["session"]
            caller = sys._getframe(1).f_code.co_filename
            if s is not None and not s.sampling and caller.startswith(TOOL_DIR):
                calls.append((s.tick, __name, caller, sys._getframe(1).f_lineno))
            return __original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, wrapper)
    return calls, state


@pytest.mark.parametrize("loop", ["optimizer", "manual", "tensor-lr"])
def test_unwatched_steps_read_no_tensor_value(counted, loop):
    calls, state = counted
    torch.manual_seed(0)
    x, y = torch.randn(256, 8), torch.randn(256, 1)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    opt = (torch.optim.Adam(model.parameters(), lr=1e-3) if loop == "optimizer" else
           # a learning rate held as a tensor, changed in place by its scheduler
           torch.optim.Adam(model.parameters(), lr=torch.tensor(1e-3), foreach=False) if loop == "tensor-lr" else None)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.99) if loop == "tensor-lr" else None
    s = Session("x", observers=[StepLog(flush_every=10_000)])
    state["session"] = s
    s.start()
    try:
        for step in range(120):
            xb, yb = x[step % 4 * 64:(step % 4 + 1) * 64], y[step % 4 * 64:(step % 4 + 1) * 64]
            loss = F.mse_loss(model(xb), yb)
            if opt is not None:
                opt.zero_grad()
                loss.backward()
                opt.step()
                if sched is not None:
                    sched.step()
            else:
                model.zero_grad()
                loss.backward()
                with torch.no_grad():
                    for p in model.parameters():
                        p -= 1e-2 * p.grad
    finally:
        state["session"] = None
        s.stop()
    unwatched = s.trace.ticks - len(s.trace.sampled_ticks)
    assert unwatched > 50  # most steps were not watched
    assert calls == [], calls[:5]
    if loop != "manual":  # every step's learning rate is on record, as it was at that step
        (rec,) = s.trace.optimizers.values()
        assert len(rec.lrs) == 120 and rec.lrs[0] == pytest.approx(1e-3)
        assert rec.lrs[-1] == pytest.approx(1e-3 * 0.99 ** 119, rel=1e-4) if sched else rec.lrs[-1] == 1e-3
