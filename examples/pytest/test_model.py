"""The tests a user writes for a small regression model, run with `pytest --unstuck`.

    pytest examples/pytest --unstuck

Every test's training is watched: one whose training has an error-level finding fails with
unstuck's report. To see it, make the target [N] instead of [N, 1] in `data()` (the classic
broadcast bug): the tests that train fail and name loss-broadcast, at the line of the loss.
"""
import pytest
import torch
import torch.nn as nn

import unstuck
from unstuck.testing import assert_learns, assert_no_findings


def data(n=256):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    y = (x @ torch.tensor([1.0, -2.0, 0.5, 3.0])).unsqueeze(1)  # [N, 1], the model's output shape
    return x, y


def make_model():
    return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1))


def train(model, x, y, epochs=10, batch_size=32):
    """The project's training loop, as the tests exercise it."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        for i in range(0, len(x), batch_size):
            loss = loss_fn(model(x[i:i + batch_size]), y[i:i + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return loss.item()


def test_training_reduces_the_loss():
    torch.manual_seed(0)
    x, y = data()
    model = make_model()
    before = nn.MSELoss()(model(x), y).item()
    after = train(model, x, y)  # watched by `pytest --unstuck`
    assert after < before / 10


def test_the_model_can_memorise_a_few_samples():
    torch.manual_seed(0)
    # Trains a copy on 8 samples; on failure the message says why it did not learn.
    assert_learns(make_model(), data(), nn.MSELoss())


def test_the_training_loop_has_no_warnings():
    torch.manual_seed(0)
    x, y = data()
    with unstuck.watch() as session:  # a test may watch a block itself, stricter than the plugin
        train(make_model(), x, y, epochs=3)
    assert_no_findings(session, level="warning")


def test_shapes_only():  # trains nothing: the plugin does not judge it
    assert make_model()(torch.zeros(2, 4)).shape == (2, 1)


@pytest.mark.unstuck(skip=True)  # not watched, e.g. a benchmark
def test_not_watched():
    x, y = data(64)
    train(make_model(), x, y, epochs=1)
