"""Traced, compiled and transformed code is never observed from inside, and the user's own
instruments (function modes, dispatch modes, flop counters) never see the tool's work."""
import json
import subprocess
import sys
import textwrap

import pytest
import torch

from unstuck.logbook.rundir import latest_run, load_run
from unstuck.observe.tracing import hidden, tracing


def _run(tmp_path, code: str, *args: str, json_path: str | None = None) -> tuple[list[str], list[str], str]:
    """stdout lines of `python script` and of `unstuck run script`, and unstuck's stderr; the
    warnings on stderr (where they point, how often) must be the same."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(code))
    plain = subprocess.run([sys.executable, "train.py", *args], cwd=tmp_path, capture_output=True, text=True,
                           timeout=300)
    assert plain.returncode == 0, plain.stderr
    cmd = [sys.executable, "-m", "unstuck", "run", "--quiet"]
    if json_path:
        cmd += ["--json", json_path]
    watched = subprocess.run(cmd + ["train.py", *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert watched.returncode == 0, watched.stderr
    assert _warnings(watched.stderr) == _warnings(plain.stderr)
    return plain.stdout.splitlines(), watched.stdout.splitlines(), watched.stderr


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "Warning:" in line]


def _report(tmp_path) -> dict:
    return json.loads((tmp_path / "r.json").read_text())


COMPILED = """
import torch, torch.nn as nn, torch.nn.functional as F
import torch._dynamo.utils as du
for variant in ("module", "in-place", "function"):
    torch._dynamo.reset(); du.counters.clear()
    torch.manual_seed(0)
    X = torch.randn(256, 8); y = X[:, :2].sum(1, keepdim=True)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 1))
    fwd, loss_fn = model, F.mse_loss
    if variant == "module":
        fwd = torch.compile(model, backend="aot_eager")
    elif variant == "in-place":
        model.compile(backend="aot_eager")
    else:
        @torch.compile(backend="aot_eager")
        def loss_fn(pred, target):
            return ((pred - target) ** 2).mean()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for step in range(30):
        opt.zero_grad()
        loss = loss_fn(fwd(X), y)
        loss.backward()
        opt.step()
    print(variant, repr(loss.item()), repr(sum(float(p.double().sum()) for p in model.parameters())),
          "graphs", du.counters["stats"]["unique_graphs"], "breaks", sum(du.counters["graph_break"].values()),
          "recompiles", sum(du.counters["recompiles"].values()))
"""


@pytest.mark.slow
def test_compiled_code_is_observed_at_its_boundary_only(tmp_path):
    plain, watched, err = _run(tmp_path, COMPILED, json_path="r.json")
    assert len(plain) == 3 and watched == plain  # same losses, parameters, graphs, breaks, recompiles
    assert "unstuck" not in err
    report = _report(tmp_path)
    assert report["tool_errors"] == [] and report["summary"]["steps"] == 90


COMPILED_STEPS = """
import sys
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(128, 8); y = X[:, :2].sum(1, keepdim=True)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
if sys.argv[1] == "optimizer":  # only the optimizer step is compiled
    @torch.compile(backend="aot_eager")
    def step():
        opt.step()
    for _ in range(40):
        opt.zero_grad()
        loss = F.mse_loss(model(X), y)
        loss.backward()
        step()
else:  # the whole training step is compiled
    @torch.compile(backend="aot_eager")
    def step(xb, yb):
        opt.zero_grad()
        loss = F.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
    for _ in range(40):
        loss = step(X, y)
print(repr(loss.item()), repr(sum(float(p.double().sum()) for p in model.parameters())))
"""


@pytest.mark.slow
def test_optimizer_steps_inside_compiled_code_are_counted_at_the_boundary(tmp_path):
    """Inside compiled code the step hooks are compiled away; the steps are still counted
    (they change the parameters' version counters), so a healthy run is not told its
    optimizer never stepped, and the step log has its rows."""
    for variant in ("optimizer", "train-step"):
        plain, watched, err = _run(tmp_path, COMPILED_STEPS, variant, json_path="r.json")
        assert watched == plain, variant
        report = _report(tmp_path)
        assert report["tool_errors"] == [] and report["findings"] == [], variant
        assert report["summary"]["optimizer_steps"] == 40 and report["summary"]["steps"] == 40, variant
        run = load_run(latest_run(str(tmp_path / "unstuck-runs")))
        assert [row["step"] for row in run.rows] == list(range(1, 41)), variant  # the step log has them too


TRACED = """
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
X = torch.randn(64, 8); y = X[:, :2].sum(1, keepdim=True)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(6):
    opt.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    opt.step()
    if step == 2:  # inside a sampled window
        traced = torch.jit.trace(model, X)
        exported = torch.export.export(model, (X,))
        symbolic = torch.fx.symbolic_trace(model)
print("jit", str(traced.graph).count("aten::"), "export", len(exported.graph.nodes), "fx", len(symbolic.graph.nodes))
print(repr(loss.item()))
"""


@pytest.mark.slow
def test_tracing_and_export_capture_none_of_our_ops(tmp_path):
    plain, watched, err = _run(tmp_path, TRACED, json_path="r.json")
    assert watched == plain
    assert "TracerWarning" not in err
    assert _report(tmp_path)["tool_errors"] == []


FUNC = """
import torch, torch.nn as nn, torch.nn.functional as F
from torch.func import functional_call, grad, vmap
torch.manual_seed(0)
X = torch.randn(64, 4); y = X.sum(1, keepdim=True)
model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
params = {k: v.detach() for k, v in model.named_parameters()}
def sample_loss(p, x, t):
    return F.mse_loss(functional_call(model, p, (x[None],)), t[None])
for step in range(100):  # per-sample gradients, averaged, applied by hand
    g = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, X, y)
    params = {k: params[k] - 0.05 * g[k].mean(0) for k in params}
print(repr(F.mse_loss(functional_call(model, params, (X,)), y).item()))
"""


@pytest.mark.slow
def test_torch_func_training_is_counted_without_observing_inside_transforms(tmp_path):
    plain, watched, _ = _run(tmp_path, FUNC, json_path="r.json")
    assert watched == plain
    report = _report(tmp_path)
    assert report["tool_errors"] == []
    assert report["summary"]["steps"] == 100


MODES = """
import collections, torch, torch.nn as nn, torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

class CountCalls(TorchFunctionMode):
    def __init__(self):
        super().__init__(); self.n = collections.Counter()
    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.n[getattr(func, "__name__", str(func))] += 1
        return func(*args, **(kwargs or {}))

class CountAten(TorchDispatchMode):
    def __init__(self):
        super().__init__(); self.n = collections.Counter()
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.n[str(func)] += 1
        return func(*args, **(kwargs or {}))

torch.manual_seed(0)
X = torch.randn(64, 8); y = torch.randint(0, 3, (64,))
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
def step():
    opt.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
    return loss
calls, aten, flops = CountCalls(), CountAten(), FlopCounterMode(display=False)
with calls, aten, flops:  # spans watched and unwatched steps (and the input probe)
    for i in range(12):
        step()
for i in range(12, 28):
    step()
with CountCalls() as late:  # entered at an unwatched step; a watched window opens inside it
    for i in range(28, 30):
        step()
stack = [torch._C._get_function_stack_at(i) for i in range(torch._C._len_torch_function_stack())]
print("after", any(m is late for m in stack), torch._C._len_torch_dispatch_stack())
for i in range(30, 33):
    step()
print(sorted(calls.n.items()))
print(sorted(late.n.items()))
print(sorted(aten.n.items()))
print(flops.get_total_flops())
print(repr(step().item()))
"""


@pytest.mark.slow
def test_user_modes_and_flop_counters_never_see_the_tool(tmp_path):
    plain, watched, _ = _run(tmp_path, MODES, json_path="r.json")
    assert plain[0] == "after False 0"
    assert watched == plain
    assert _report(tmp_path)["tool_errors"] == []


def test_tracing_is_seen_in_transforms_and_jit_tracing():
    seen = []

    def f(x):
        seen.append(tracing())
        return x * 2

    assert not tracing()
    torch.vmap(f)(torch.ones(3, 2))
    torch.jit.trace(f, torch.ones(2), check_trace=False)  # the check re-runs f untraced
    torch.func.grad(lambda x: f(x).sum())(torch.ones(2))
    assert seen == [True, True, True]


def test_hidden_work_is_not_seen_by_a_function_mode():
    from torch.overrides import TorchFunctionMode

    class Count(TorchFunctionMode):
        n = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            Count.n += 1
            return func(*args, **(kwargs or {}))

    with Count():
        with hidden():
            torch.ones(3).sum()
        assert Count.n == 0
        torch.ones(3).sum()
    assert Count.n > 0
