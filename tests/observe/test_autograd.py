"""Facts the autograd observer records."""
import textwrap

from unstuck.runner import run_script

CHECKPOINTED = """
import torch, torch.nn as nn
from torch.utils.checkpoint import checkpoint
torch.manual_seed(0)
block, head = nn.Sequential(nn.Linear(4, 16), nn.Tanh()), nn.Linear(16, 1)
opt = torch.optim.SGD([*block.parameters(), *head.parameters()], lr=0.1)
for step in range(12):
    x = torch.randn(8, 4, requires_grad=True)
    loss = head(checkpoint(block, x, use_reentrant={reentrant})).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
"""


def _trace(tmp_path, code):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    result = run_script(str(script), [])
    assert result.tool_errors == []
    return result.trace


def test_reentrant_checkpoint_backward_is_counted_once(tmp_path):
    for reentrant in (True, False):
        trace = _trace(tmp_path, CHECKPOINTED.format(reentrant=reentrant))
        assert trace.backward_calls == 12
        assert trace.models == ["Sequential", "Linear"]  # the recomputation inside backward is no model call
        block_weight = next(pid for pid, info in trace.params.items() if info.name == "block.0.weight")
        assert trace.grad_reached.get(block_weight, 0) >= 1  # reached through the nested backward


def test_create_graph_derivative_values(tmp_path):
    trace = _trace(tmp_path, """
import torch, torch.nn as nn
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for step in range(3):
    x = torch.rand(16, 1, requires_grad=True)
    ux = torch.autograd.grad(net(x).sum(), x, create_graph=True)[0]
    uxx = torch.autograd.grad(ux.sum(), x, create_graph=True)[0]
    loss = (ux - 1).pow(2).mean() + uxx.pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
""")
    calls = [g for g in trace.grad_calls if g.tick == 0]
    assert [g.result_zero for g in calls] == [False, True]
    assert all(g.relu_nodes for g in calls)


def test_loss_calls_know_how_their_gradient_was_taken(tmp_path):
    trace = _trace(tmp_path, """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
net = nn.Linear(3, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x, y = torch.randn(16, 3), torch.randn(16, 1)
for step in range(3):
    inner = F.mse_loss(net(x), y)  # differentiated for an inner update, as in MAML
    g = torch.autograd.grad(inner, net.weight, create_graph=True)[0]
    fast = net.weight - 0.1 * g
    outer = F.l1_loss(x @ fast.t() + net.bias, y)  # the loss that is trained
    metric = F.smooth_l1_loss(net(x), y)  # computed with gradients, never differentiated
    manual = torch.autograd.grad(F.huber_loss(net(x), y), net.bias)  # a gradient for an update
    opt.zero_grad(); (outer + 0.0).backward(); opt.step()
""")
    seen = {c.fn: c.backprop for c in trace.losses if c.tick == 0}
    assert seen == {"mse_loss": 0, "l1_loss": 2, "smooth_l1_loss": 0, "huber_loss": 1}
