"""What the capture observer keeps from a watched run."""
import textwrap

import torch

from unstuck.api import observe_and_diagnose
from unstuck.checkup.capture import CaptureObserver

LOOP = """
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(96, 4); y = X[:, 0] * 2
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.05},
                       {"params": model[2].parameters()}], lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.1)
for epoch in range(4):
    for i in range(0, 96, 32):
        opt.zero_grad()
        loss = {loss}
        loss.backward()
        opt.step()
    sched.step()
    with torch.no_grad():
        F.mse_loss(model(X).squeeze(1), y)  # evaluation: not captured
"""


def capture(tmp_path, loss="F.mse_loss(model(X[i:i + 32]).squeeze(1), y[i:i + 32])", code=LOOP):
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(code.replace("{loss}", loss)))
    cap = CaptureObserver()
    observe_and_diagnose(str(path), observers=[cap])
    return cap.problem()


def test_captures_model_optimizer_loss_and_distinct_samples(tmp_path):
    problem, reason = capture(tmp_path)
    assert reason is None
    assert problem.n == 96  # 4 epochs of the same 96 samples, kept once each
    assert problem.loss_name == "mse_loss" and problem.pred_tail == () and problem.batch_size == 32
    assert problem.inputs[0].shape == (96, 4) and problem.target.shape == (96,)
    spec = problem.optimizer
    assert spec.cls is torch.optim.SGD and [g[0] for g in spec.groups] == [[0, 1], [2, 3]]
    assert [g[1]["lr"] for g in spec.groups] == [0.05, 0.1]  # the scheduler's initial_lr, not its decay
    assert spec.groups[0][1]["momentum"] == 0.9
    # the copy holds the initial weights: the replayed loss equals the script's first one
    torch.manual_seed(0)
    torch.randn(96, 4)
    first = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    for a, b in zip(first.parameters(), problem.model.parameters()):
        assert torch.equal(a, b)


def test_the_replayed_loss_keeps_a_broadcast(tmp_path):
    problem, _ = capture(tmp_path, loss="F.mse_loss(model(X[i:i + 32]).squeeze(1), y[i:i + 32].unsqueeze(1))")
    assert problem.target.shape == (96, 1) and problem.pred_tail == ()
    model = problem.fresh()
    x, t = problem.subset(slice(0, 4))
    manual = torch.nn.functional.mse_loss(model(*x).squeeze(1), t)  # [4] vs [4, 1]
    assert torch.allclose(problem.loss(model, x, t), manual)


def test_a_hand_written_squared_error_is_replayed_as_written(tmp_path):
    problem, reason = capture(tmp_path, loss="((model(X[i:i + 32]).squeeze(1) - y[i:i + 32]) ** 2).mean()")
    assert reason is None and problem.loss_name.startswith("hand-written loss") and problem.n == 96
    assert [s.kind for s in problem.head] == ["view"]  # the squeeze, before the target enters
    model = problem.fresh()
    x, t = problem.subset(slice(0, 8))
    assert torch.allclose(problem.loss(model, x, t), ((model(*x).squeeze(1) - t) ** 2).mean())


def test_a_loss_on_a_transformed_output_is_not_replayed(tmp_path):
    problem, reason = capture(tmp_path, loss="F.mse_loss(torch.tanh(model(X[i:i + 32])).squeeze(1), y[i:i + 32])")
    assert problem is None


def test_row_digests_tell_rows_apart_by_their_bytes():
    import torch

    from unstuck.checkup.capture import row_digests
    torch.manual_seed(0)
    x = torch.randn(64, 3, 5)
    d = row_digests((x,))
    assert len(set(d)) == 64  # distinct rows
    assert row_digests((x[10:11].clone(),))[0] == d[10]  # a row seen again alone, from another batch
    flipped = x.clone()
    flipped[3] = -flipped[3]  # only sign bits differ
    flipped[4, 1, 2] = torch.nextafter(flipped[4, 1, 2], torch.tensor(10.0))  # one bit of one value
    flipped[5] = flipped[5].flip(-1)  # the same values in another order
    e = row_digests((flipped,))
    assert [i for i in range(64) if d[i] != e[i]] == [3, 4, 5]
    # several tensors hashed together, odd byte widths and integer ids included
    ids = torch.randint(0, 3, (64, 3), dtype=torch.uint8)
    pairs = row_digests((x, ids))
    assert len(set(pairs)) == 64 and pairs != d
    assert len(set(row_digests((ids,)))) == len({tuple(r) for r in ids.tolist()})
