"""Observing must not change the run: bit-identical parameters and RNG state."""
import subprocess
import sys

import pytest
import torch

SCRIPT = """
import random, sys
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0); random.seed(0); np.random.seed(0)
X = torch.randn(512, 8); y = (X[:, :2].sum(1) > 0).long()
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
model = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 2))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
sched = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5)
for epoch in range(3):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(torch.softmax(model(xb), 1).log(), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    sched.step()
    model.eval()
    with torch.no_grad():
        acc = (model(X).argmax(1) == y).float().mean()
torch.save({"params": [p.detach().clone() for p in model.parameters()],
            "buffers": [b.clone() for b in model.buffers()],
            "torch_rng": torch.get_rng_state(), "py_rng": random.random(), "np_rng": float(np.random.rand()),
            "opt": opt.state_dict()}, sys.argv[1])
"""


@pytest.mark.parametrize("profile", ["default", "full"])
@pytest.mark.slow
def test_bit_identical_with_and_without_unstuck(tmp_path, profile):
    (tmp_path / "train.py").write_text(SCRIPT)
    subprocess.run([sys.executable, "train.py", "plain.pt"], cwd=tmp_path, check=True)
    subprocess.run([sys.executable, "-m", "unstuck", "run", "--quiet", "--profile", profile, "train.py",
                    "watched.pt"], cwd=tmp_path, check=True)
    plain = torch.load(tmp_path / "plain.pt", weights_only=False)
    watched = torch.load(tmp_path / "watched.pt", weights_only=False)
    for a, b in zip(plain["params"] + plain["buffers"], watched["params"] + watched["buffers"]):
        assert torch.equal(a, b)
    assert torch.equal(plain["torch_rng"], watched["torch_rng"])
    assert plain["py_rng"] == watched["py_rng"] and plain["np_rng"] == watched["np_rng"]
    for k, state in plain["opt"]["state"].items():
        for name, value in state.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(watched["opt"]["state"][k][name]))


def test_hooks_and_patches_are_removed_after_the_run(tmp_path):
    import torch.nn.modules.module as module_mod
    import torch.optim.optimizer as opt_mod

    from unstuck.runner import run_script
    before = (torch.autograd.backward, torch.autograd.grad, torch.optim.Optimizer.zero_grad,
              torch.nn.Module.zero_grad, torch.optim.Optimizer.__init__)
    (tmp_path / "t.py").write_text("import torch\nm = torch.nn.Linear(2, 1)\no = torch.optim.SGD(m.parameters(), 0.1)\n"
                                   "for _ in range(3):\n    o.zero_grad(); m(torch.ones(4, 2)).sum().backward(); o.step()\n")
    run_script(str(tmp_path / "t.py"), [])
    after = (torch.autograd.backward, torch.autograd.grad, torch.optim.Optimizer.zero_grad,
             torch.nn.Module.zero_grad, torch.optim.Optimizer.__init__)
    assert before == after
    assert not module_mod._global_forward_hooks and not module_mod._global_forward_pre_hooks
    assert not opt_mod._global_optimizer_pre_hooks and not opt_mod._global_optimizer_post_hooks
    assert torch._C._len_torch_function_stack() == 0


def test_torch_warnings_appear_once_at_the_same_place(tmp_path):
    """torch's shape warning names the user's line once, as without unstuck."""
    (tmp_path / "w.py").write_text(
        "import torch\nm = torch.nn.Linear(3, 1)\no = torch.optim.SGD(m.parameters(), 0.1)\n"
        "x, y = torch.randn(8, 3), torch.randn(8)\nfor i in range(20):\n"
        "    o.zero_grad(); l = torch.nn.functional.mse_loss(m(x), y); l.backward(); o.step()\n")

    def warning_lines(cmd):
        err = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True).stderr
        return [line for line in err.splitlines() if "Warning:" in line]

    plain = warning_lines([sys.executable, "w.py"])
    watched = warning_lines([sys.executable, "-m", "unstuck", "run", "--quiet", "w.py"])
    assert len(plain) == 1 and watched == plain
