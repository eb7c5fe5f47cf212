"""One contract for watching: every observer rides on the session's hooks, installed once."""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules import module as module_hooks
from torch.optim import optimizer as optimizer_hooks
from torch.utils.data import DataLoader, TensorDataset

from unstuck.checkup.capture import CaptureObserver
from unstuck.logbook.checkpoints import RunCheckpoints
from unstuck.logbook.steplog import StepLog
from unstuck.observe.distributed import DistributedObserver
from unstuck.observe.hub import EVENTS, Observer
from unstuck.observe.session import Session
from unstuck.report.live import LiveStatus


class Recorder(Observer):
    def __init__(self):
        self.events = []

    def on_step(self, opt):
        self.events.append("step")

    def on_loader_iter(self, loader, grad_enabled):
        self.events.append(("loader", grad_enabled))

    def on_loss(self, func, args, kwargs, out):
        self.events.append("loss")


class Broken(Observer):
    def on_step(self, opt):
        raise RuntimeError("observer bug")


def _counts():
    return (len(module_hooks._global_forward_hooks), len(module_hooks._global_forward_pre_hooks),
            len(optimizer_hooks._global_optimizer_pre_hooks), len(optimizer_hooks._global_optimizer_post_hooks))


def _train(steps=6):
    torch.manual_seed(0)
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16):
        loss = F.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        for xb, _ in DataLoader(TensorDataset(x, y), batch_size=32):
            model(xb)


def test_each_torch_hook_kind_is_installed_once_whatever_rides_on_it():
    before = _counts()
    plain_iter = DataLoader.__iter__
    observers = [StepLog(), CaptureObserver(), LiveStatus(io.StringIO(), 24, 80), Recorder()]
    s = Session("x", observers=observers)
    s.start()
    try:
        grown = tuple(a - b for a, b in zip(_counts(), before))
        assert grown == (1, 1, 1, 1)  # module forward, forward pre, optimizer step pre, post: once each
        assert DataLoader.__iter__ is not plain_iter
        wrapped = [c.cell_contents for c in DataLoader.__iter__.__closure__ if callable(c.cell_contents)]
        assert plain_iter in wrapped  # one wrapper, directly around torch's own
        _train()
    finally:
        s.stop()
    assert _counts() == before and DataLoader.__iter__ is plain_iter
    recorder = observers[-1]
    assert recorder.events.count("step") == 4 and ("loader", True) in recorder.events
    assert ("loader", False) in recorder.events and "loss" in recorder.events


class HookCounter(Observer):
    """Torch's global hook tables as each event sees them, the tick, and whether it is watched."""

    def __init__(self):
        self.seen = []

    def _note(self, event):
        self.seen.append((event, _counts(), self.session.tick, self.session.sampling))

    def on_step_begin(self, opt):
        self._note("step begin")

    def on_step(self, opt):
        self._note("step")

    def on_step_end(self, opt):
        self._note("step end")

    def on_root_call(self, module):
        self._note("root call")

    def on_loader_iter(self, loader, grad_enabled):
        self._note("loader")


def test_checkpointer_and_distributed_observer_ride_on_the_same_hooks(tmp_path):
    before = _counts()
    steplog = StepLog()
    checkpoints = RunCheckpoints(steplog, str(tmp_path / "checkpoints"), "train", every=3)
    distributed = DistributedObserver(rank=0, world_size=1)  # no process group needed
    counter = HookCounter()
    observers = [steplog, checkpoints, distributed, CaptureObserver(), LiveStatus(io.StringIO(), 24, 80), counter]
    s = Session("x", observers=observers)
    s.start()
    try:
        assert tuple(a - b for a, b in zip(_counts(), before)) == (1, 1, 1, 1)
        torch.manual_seed(0)
        x, y = torch.randn(64, 4), torch.randn(64, 1)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=8):
                loss = F.mse_loss(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
    finally:
        s.stop()
    assert _counts() == before  # every hook is gone
    assert s.tick == 24 and not s.errors
    for event, counts, _, _ in counter.seen:  # at most one of each kind, whatever the step
        assert all(a - b <= 1 for a, b in zip(counts, before)), (event, counts)
    assert {event for event, *_ in counter.seen} == {"step begin", "step", "step end", "root call", "loader"}
    watched = {tick for event, _, tick, sampling in counter.seen if event == "step" and sampling}
    assert 0 < len(watched) < 24
    # outside the sampled windows the module hooks are on for the checkpointer's steps only ...
    listened = {tick for event, _, tick, sampling in counter.seen if event == "root call" and not sampling}
    assert listened and all((tick + 1) % 3 == 0 for tick in listened)
    # ... and observe nothing else there
    assert {r.tick for r in s.trace.inputs} <= watched
    files = checkpoints.checkpointer.paths
    assert [torch.load(f, weights_only=True)["step"] for f in files][-3:] == [18, 21, 24]  # (and the best)
    assert sorted(torch.load(files[-1], weights_only=True)["state"]) == ["SGD", "Sequential"]
    assert 0 in distributed.facts.checksums and 24 in distributed.facts.checksums


def test_only_overridden_events_are_dispatched_and_a_failing_observer_stays_inside():
    s = Session("x", observers=[Broken()])
    assert s.hub.handlers == {e: [] for e in EVENTS}  # nothing before start
    s.start()
    try:
        assert [e for e, h in s.hub.handlers.items() if h] == ["on_step"]
        _train()  # raises nothing
    finally:
        s.stop()
    assert any("observer bug" in e.error for e in s.errors.values())
