from helpers import REGRESSION, causes, diagnose_code, first_cause


def loop(body: str, steps: int = 40) -> str:
    return REGRESSION + f"""
for step in range({steps}):
    xb, yb = X[step % 8 * 32:(step % 8 + 1) * 32], y[step % 8 * 32:(step % 8 + 1) * 32]
""" + "\n".join("    " + line for line in body.strip().splitlines()) + "\n"


def test_missing_zero_grad(tmp_path):
    report = diagnose_code(tmp_path, loop("""
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
"""))
    assert first_cause(report) == "missing-zero-grad"
    assert report.findings[0].location.code == "opt.step()"


def test_missing_zero_grad_with_manual_updates(tmp_path):
    report = diagnose_code(tmp_path, """
import torch
torch.manual_seed(0)
X = torch.randn(128, 3); y = X @ torch.tensor([1.0, -2.0, 0.5])
w = torch.zeros(3, requires_grad=True)
for step in range(30):
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.01 * w.grad
""")
    assert first_cause(report) == "missing-zero-grad"


def test_manual_updates_that_clear_are_silent(tmp_path):
    report = diagnose_code(tmp_path, """
import torch
torch.manual_seed(0)
X = torch.randn(128, 3); y = X @ torch.tensor([1.0, -2.0, 0.5])
w = torch.zeros(3, requires_grad=True)
for step in range(30):
    loss = ((X @ w - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
        w.grad.zero_()
""")
    assert causes(report) == []


def test_accumulation_every_k_steps_is_silent(tmp_path):
    report = diagnose_code(tmp_path, loop("""
loss = F.mse_loss(model(xb), yb) / 4
loss.backward()
if step % 4 == 3:
    opt.step()
    opt.zero_grad(set_to_none=False)
""", steps=80))
    assert causes(report) == []


def test_zero_grad_between_backward_and_step(tmp_path):
    report = diagnose_code(tmp_path, loop("""
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.zero_grad()
opt.step()
"""))
    assert first_cause(report) == "zero-grad-misplaced"
    assert "zero_grad()" in report.findings[0].message


def test_step_before_backward(tmp_path):
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
opt.step()
loss.backward()
"""))
    assert first_cause(report) == "zero-grad-misplaced"
    assert "comes before `backward()`" in report.findings[0].message


def test_step_never_called(tmp_path):
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
loss.backward()
"""))
    assert first_cause(report) == "optimizer-step-missing"


def test_backward_never_called(tmp_path):
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
opt.step()
"""))
    assert first_cause(report) == "backward-missing"
    f = report.findings[0]
    assert f.location.code.strip().startswith("loss = F.mse_loss") and f.shows_at.code.strip() == "opt.step()"
    # the symptoms it causes are folded under it
    assert all(g.caused_by == ("backward-missing",) for g in report.findings[1:])


def test_gradients_set_by_hand_from_autograd_grad_are_no_missing_backward(tmp_path):
    assert "backward-missing" not in causes(diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
grads = torch.autograd.grad(loss, list(model.parameters()))
for p, g in zip(model.parameters(), grads):
    p.grad = g
opt.step()
""")))


def test_backward_missing_thresholds():
    from tests.rules.tracebuild import fires, op005
    assert fires("OP005", op005())
    assert not fires("OP005", op005(backwards=3))
    assert not fires("OP005", op005(steps=2))


def test_healthy_loop_and_lbfgs_closure_are_silent(tmp_path):
    assert causes(diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
"""))) == []
    report = diagnose_code(tmp_path, REGRESSION + """
opt = torch.optim.LBFGS(model.parameters(), max_iter=5)
def closure():
    opt.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    return loss
for step in range(15):
    opt.step(closure)
""")
    assert causes(report) == []


def test_losses_kept_with_their_graphs(tmp_path):
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
history.append(loss)
""", steps=120).replace("for step in range", "history = []\nfor step in range"))
    assert "loss-graph-retained" in causes(report)


def test_running_loss_accumulating_graphs(tmp_path):
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
running = running + loss
""").replace("for step in range", "running = 0.0\nfor step in range"))
    assert "loss-graph-retained" in causes(report)
    f = next(f for f in report.findings if f.cause == "loss-graph-retained")
    assert f.location.code == "running = running + loss"


def test_logging_numbers_is_silent(tmp_path):
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
history.append(loss.item())
running += loss.detach()
""", steps=120).replace("for step in range", "history = []\nrunning = 0.0\nfor step in range"))
    assert causes(report) == []


def test_a_running_total_of_scaled_losses_accumulates_graphs(tmp_path):
    # the backpropagated loss is scaled first (`loss * n`, an average meter's update): the
    # scaled value is this step's loss too, and the total it is added to comes from earlier steps
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
total = total + loss * xb.shape[0]
""").replace("for step in range", "total = 0.0\nfor step in range"))
    assert "loss-graph-retained" in causes(report)


def test_two_backpropagated_losses_summed_for_logging_are_silent(tmp_path):
    # a GAN discriminator's loss written as in many repositories: each part backpropagated on
    # its own, their sum kept for the log; reassigned every step, it holds one step's graphs
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
err_a = F.mse_loss(model(xb), yb)
err_a.backward()
err_b = F.l1_loss(model(xb), yb)
err_b.backward()
err = err_a + err_b
opt.step()
history.append(err.item())
""", steps=120).replace("for step in range", "history = []\nfor step in range"))
    assert causes(report) == []


def test_the_sum_stays_silent_when_many_losses_are_backpropagated_each_step(tmp_path):
    # six backward() calls a step: the registry of backpropagated losses fills up and is pruned
    # between the two summed ones (it used to be emptied there, so the first looked like an
    # accumulator from an earlier step)
    report = diagnose_code(tmp_path, loop("""
opt.zero_grad()
for k in range(4):
    F.mse_loss(model(xb) * (k + 1), yb * (k + 1)).backward()
err_a = F.mse_loss(model(xb), yb)
err_a.backward()
err_b = F.l1_loss(model(xb), yb)
err_b.backward()
err = err_a + err_b
opt.step()
history.append(err.item())
""", steps=120).replace("for step in range", "history = []\nfor step in range"))
    assert causes(report) == []


MANUAL = """
import torch
torch.manual_seed(0)
X = torch.randn(128, 3); y = X @ torch.tensor([1.0, -2.0, 0.5])
w = torch.zeros(3, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for step in range(60):
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.05 * w.grad
        b -= 0.05 * b.grad
    {clear}
"""


def test_old_style_manual_clearing_is_silent(tmp_path):
    for clear in ("w.grad.data.zero_(); b.grad.data.zero_()", "w.grad = None; b.grad = None",
                  "w.grad.data.fill_(0); b.grad.zero_()"):
        report = diagnose_code(tmp_path, MANUAL.format(clear=clear))
        assert causes(report) == [], clear


def test_clearing_by_hand_in_an_optimizer_loop_is_silent(tmp_path):
    report = diagnose_code(tmp_path, loop("""
loss = F.mse_loss(model(xb), yb)
loss.backward()
opt.step()
for p in model.parameters():
    p.grad.data.zero_()
"""))
    assert causes(report) == []


def test_missing_zero_grad_with_gradient_clipping(tmp_path):
    report = diagnose_code(tmp_path, loop("""
loss = F.mse_loss(model(xb), yb)
loss.backward()
torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
opt.step()
"""))
    assert first_cause(report) == "missing-zero-grad"


SPARSE = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
emb = nn.Embedding(100, 8, sparse=True)
head = nn.Linear(8, 1)
sparse_opt = torch.optim.SparseAdam(emb.parameters(), lr=1e-2)
dense_opt = torch.optim.Adam(head.parameters(), lr=1e-2)
ids = torch.randint(0, 100, (640,)); y = torch.randn(100, 1)[ids]
for i in range(0, 640, 32):
    loss = F.mse_loss(head(emb(ids[i:i + 32])), y[i:i + 32])
    {order}
"""


def test_sparse_embedding_gradients_with_sparse_adam_are_silent(tmp_path):
    order = "sparse_opt.zero_grad(); dense_opt.zero_grad(); loss.backward(); sparse_opt.step(); dense_opt.step()"
    assert causes(diagnose_code(tmp_path, SPARSE.format(order=order))) == []


def test_sparse_gradients_cleared_before_step(tmp_path):
    order = "loss.backward(); sparse_opt.zero_grad(); dense_opt.zero_grad(); sparse_opt.step(); dense_opt.step()"
    assert first_cause(diagnose_code(tmp_path, SPARSE.format(order=order))) == "zero-grad-misplaced"


def test_updates_through_p_data_are_training_not_a_missing_step(tmp_path):
    code = REGRESSION.replace("opt = torch.optim.Adam(model.parameters(), lr=1e-2)", "") + """
for step in range(40):
    loss = F.mse_loss(model(X), y)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data.sub_(0.05 * p.grad)          # no version bump: seen by its values
"""
    assert causes(diagnose_code(tmp_path, code)) == []
    # the same loop without the update is still the bug
    bug = code.replace("        p.data.sub_(0.05 * p.grad)          # no version bump: seen by its values\n",
                       "        pass\n")
    assert first_cause(diagnose_code(tmp_path, bug)) == "optimizer-step-missing"


def test_newton_steps_from_autograd_grad_are_judged_training(tmp_path):
    report = diagnose_code(tmp_path, """
import torch
from torch.autograd.functional import hvp
torch.manual_seed(0)
X = torch.randn(200, 3); y = (X @ torch.tensor([1., 2., -1.]) > 0).float()
w = torch.zeros(3, requires_grad=True)
def f(w):
    return torch.nn.functional.binary_cross_entropy_with_logits(X @ w, y) + 1e-2 * (w ** 2).sum()
for it in range(8):
    g, = torch.autograd.grad(f(w), w)
    d = torch.zeros_like(w); r = -g; p = r.clone()
    for _ in range(3):
        _, Hp = hvp(f, w.detach(), p)
        a = (r @ r) / (p @ Hp); d = d + a * p; rn = r - a * Hp
        p = rn + (rn @ rn) / (r @ r) * p; r = rn
    with torch.no_grad():
        w += d
""")
    assert report.judged and report.steps_observed == 7 and causes(report) == []
