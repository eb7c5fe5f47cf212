"""The input-dependence probe: what it changes, and that the user's own instruments never see it."""
import weakref

import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_hook
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode

from unstuck.observe.probes import probe_input_dependence
from unstuck.trace import Trace


class _Session:
    """What the probe reads of a session; the caller keeps the model alive (the session holds a weak reference)."""

    def __init__(self, model, *args):
        self.trace = Trace(script="t.py")
        self.last_input = (weakref.ref(model), args)


class _Counting(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


def test_probe_is_invisible_to_user_hooks_modes_and_flop_counters():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    seen = {"module": 0, "global": 0}
    model[0].register_forward_hook(lambda *a: seen.__setitem__("module", seen["module"] + 1))
    handle = register_module_forward_hook(lambda *a: seen.__setitem__("global", seen["global"] + 1))
    try:
        session = _Session(model, torch.randn(16, 4))
        with FlopCounterMode(display=False) as flops, _Counting() as mode:
            probe_input_dependence(session)
            assert torch._C._len_torch_function_stack() == 1  # the user's mode is back on its stack
        assert (seen, mode.calls, flops.get_total_flops()) == ({"module": 0, "global": 0}, 0, 0)
        assert session.trace.input_dependence > 0.01
        model(torch.randn(2, 4))
        assert seen == {"module": 1, "global": 4}  # the user's hooks are untouched (4 modules ran)
    finally:
        handle.remove()


def test_integer_token_inputs_are_changed_too():
    class Positions(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)

        def forward(self, ids):
            return self.emb(torch.arange(ids.shape[1]).expand_as(ids)).mean(1)

    model = Positions()
    session = _Session(model, torch.randint(0, 10, (8, 5)))
    probe_input_dependence(session)
    assert session.trace.input_dependence == 0.0


def test_unbatched_set_is_changed_in_value_not_reordered():
    model = nn.Linear(3, 2)

    class MaxPool(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = model

        def forward(self, bag):  # [N, F] -> [2]: permutation invariant by design
            return self.lin(bag).max(0).values

    pool = MaxPool()
    session = _Session(pool, torch.randn(6, 3))
    probe_input_dependence(session)
    assert session.trace.input_dependence > 0.01


def test_dict_batches_are_followed():
    class FromDict(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, batch):
            return self.lin(batch["x"])

    model = FromDict()
    session = _Session(model, {"x": torch.randn(8, 3), "id": torch.arange(8)})
    probe_input_dependence(session)
    assert session.trace.input_dependence > 0.01
