"""unstuck.testing: assert_learns and assert_no_findings, the assertions for a user's test suite."""
import functools
import warnings

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import unstuck
from unstuck.testing import assert_learns, assert_no_findings


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    return x, x @ torch.tensor([1.0, -2.0, 0.5, 3.0])


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))


def _fixed_loss(out, y):
    return F.mse_loss(out.squeeze(1), y)


def _broadcast_loss(out, y):  # [N, 1] against [N]: the classic bug
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.mse_loss(out, y)


def test_a_healthy_mlp_learns():
    start, end = assert_learns(_mlp(), _data(), _fixed_loss)
    assert end < start / 10


def test_the_broadcast_bug_fails_with_unstucks_reason():
    with pytest.raises(AssertionError) as failed:
        assert_learns(_mlp(), _data(), _broadcast_loss)
    message = str(failed.value)
    assert "did not learn" in message and "loss-broadcast" in message and "test_testing.py" in message


def test_a_loss_that_falls_for_the_wrong_reason_still_fails_on_errors():
    x, y = _data()
    y = y + 20  # the broadcast's constant (the label mean) is far from the start: the loss falls anyway
    fast = functools.partial(torch.optim.Adam, lr=0.1)
    with pytest.raises(AssertionError, match="but unstuck found error-level findings.*loss-broadcast"):
        assert_learns(_mlp(), (x, y), _broadcast_loss, steps=40, optimizer=fast)
    assert_learns(_mlp(), (x, y), _broadcast_loss, steps=40, optimizer=fast, fail_on="never")


def test_the_users_model_and_rng_are_left_alone():
    model = _mlp()
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    assert_learns(model, _data(), _fixed_loss, optimizer=functools.partial(torch.optim.SGD, lr=0.05), factor=2)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters()) and not model.training
    assert torch.equal(rng, torch.get_rng_state())


def test_inputs_as_a_tuple_are_spread_over_the_models_arguments():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _mlp()

        def forward(self, a, b):
            return self.net(a + b)

    x, y = _data()
    assert_learns(Two(), ((x, torch.zeros_like(x)), y), _fixed_loss)


def test_assert_no_findings_takes_a_session_or_a_report():
    model, (x, y) = _mlp(), _data()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    with unstuck.watch() as session:
        for _ in range(40):
            loss = _broadcast_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with pytest.raises(AssertionError, match="loss-broadcast") as failed:
        assert_no_findings(session)
    assert "Fix:" in str(failed.value)  # the terminal report comes with it
    with pytest.raises(AssertionError, match="loss-broadcast"):
        assert_no_findings(session.report(), level="error")
    assert_no_findings(unstuck.watch(ignore=["loss-broadcast"]).start().stop(), level="info")
    with pytest.raises(ValueError, match="level"):
        assert_no_findings(session, level="fatal")
