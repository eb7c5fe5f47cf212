"""One contract for watching: every observer rides on the session's hooks, installed once."""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules import module as module_hooks
from torch.optim import optimizer as optimizer_hooks
from torch.utils.data import DataLoader, TensorDataset

from unstuck.checkup.capture import CaptureObserver
from unstuck.logbook.steplog import StepLog
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
