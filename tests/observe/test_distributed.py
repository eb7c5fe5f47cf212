"""The distributed observer's facts, in one process (the two-process runs are in
tests/rules/test_distributed.py and tests/integrations/test_distributed.py)."""
from __future__ import annotations

import math
import textwrap

import torch

from unstuck.observe.distributed import DistributedObserver, fingerprint
from unstuck.runner import run_script

SCRIPT = """
import sys
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
{setup}
torch.manual_seed(0)
X = torch.randn(256, 6); y = X[:, :1] * 2
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.1), nn.Linear(16, 1))
{wrap}
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for xb, yb in loader:
    opt.zero_grad()
    F.mse_loss(model(xb), yb).backward()
    opt.step()
torch.save({{"params": [p.detach().clone() for p in model.parameters()], "rng": torch.get_rng_state()}},
           sys.argv[1])
{teardown}
"""


def _script(tmp_path, setup: str = "", wrap: str = "", teardown: str = "") -> str:
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(SCRIPT.format(setup=setup, wrap=wrap, teardown=teardown)))
    return str(path)


def test_fingerprint_tells_batches_apart_and_equal_batches_together():
    x = torch.randn(8, 3)
    assert fingerprint((x,)) == fingerprint((x.clone(),))
    assert fingerprint((x,)) != fingerprint((x[torch.randperm(8)],))
    ids = torch.randint(0, 100, (4, 7))
    assert fingerprint(({"ids": ids, "mask": ids > 3},)) == fingerprint(({"ids": ids.clone(), "mask": ids > 3},))
    assert fingerprint((ids,)) != fingerprint((ids + 1,))
    nan = torch.tensor([[1.0, float("nan")]])
    assert fingerprint((nan,)) == fingerprint((nan.clone(),)) and math.inf in fingerprint((nan,))
    assert fingerprint((torch.empty(0, 3),)) == (0.0, 3.0)


def test_facts_of_one_process(tmp_path):
    observer = DistributedObserver(rank=0, world_size=1)
    result = run_script(_script(tmp_path), [str(tmp_path / "out.pt")], observers=[observer])
    facts = result.trace.distributed.ranks[0]
    assert result.trace.ticks == 16
    assert set(facts.checksums) == {0, 1, 2, 3, 4, 5, 6, 7, 10, 16}  # the start, the sampled steps, the end
    assert len(facts.checksums[0]) == len(facts.param_shapes) == 4
    assert set(facts.batches) >= set(range(8))  # every warm-up step is sampled
    assert facts.wrappers == () and not facts.sharded and facts.backend is None
    assert facts.model_site.code.startswith("model = nn.Sequential")
    assert facts.batch_site.code.startswith("F.mse_loss(model(xb), yb)")
    [loader] = facts.loaders
    assert loader.sampler == "RandomSampler" and not loader.distributed
    assert loader.site.code.startswith("loader = DataLoader")


def test_observer_changes_nothing(tmp_path):
    script = _script(tmp_path)
    run_script(script, [str(tmp_path / "plain.pt")], probes=False)
    run_script(script, [str(tmp_path / "watched.pt")], probes=False, observers=[DistributedObserver(0, 1)])
    plain, watched = (torch.load(tmp_path / f, weights_only=False) for f in ("plain.pt", "watched.pt"))
    assert all(torch.equal(a, b) for a, b in zip(plain["params"], watched["params"]))
    assert torch.equal(plain["rng"], watched["rng"])


def test_ddp_wrap_and_where_the_model_was_built(tmp_path):
    store = tmp_path / "store"
    script = _script(tmp_path, setup=textwrap.dedent(f"""
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch.utils.data.distributed import DistributedSampler
        dist.init_process_group("gloo", init_method="file://{store}", rank=0, world_size=1)
        """), wrap="model = DDP(model)\nloader = DataLoader(loader.dataset, batch_size=16, "
                   "sampler=DistributedSampler(loader.dataset))",
        teardown="dist.destroy_process_group()")
    observer = DistributedObserver(rank=0, world_size=1)
    result = run_script(script, [str(tmp_path / "out.pt")], observers=[observer])
    assert result.status is None, result.error
    facts = result.trace.distributed.ranks[0]
    assert facts.wrappers == ("DistributedDataParallel",) and facts.backend == "gloo"
    assert facts.model_site.code.startswith("model = nn.Sequential")
    assert facts.wrap_site.code == "model = DDP(model)"
    assert [ld.distributed for ld in facts.loaders] == [False, True]
    assert facts.loaders[1].sampler == "DistributedSampler"


def test_collectives_on_parameters_are_counted(tmp_path):
    store = tmp_path / "store"
    script = tmp_path / "avg.py"
    script.write_text(textwrap.dedent(f"""
        import torch, torch.distributed as dist
        dist.init_process_group("gloo", init_method="file://{store}", rank=0, world_size=1)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(6):
            opt.zero_grad()
            loss = model(torch.randn(8, 3)).pow(2).mean()
            loss.backward()
            opt.step()
            dist.all_reduce(loss.detach())          # a metric: not the parameters
            if step % 2 == 1:
                with torch.no_grad():
                    for p in model.parameters():
                        dist.all_reduce(p)           # local SGD: the replicas averaged by hand
        dist.destroy_process_group()
        """))
    result = run_script(str(script), [], observers=[DistributedObserver(0, 1)])
    assert result.status is None, result.error
    assert result.trace.distributed.ranks[0].param_syncs == 3 * 2
    assert torch.distributed.all_reduce.__code__.co_name != "collective"  # our wrapper is gone


def test_every_training_forward_of_a_step_is_fingerprinted(tmp_path):
    """A GAN-like step (real batch, noise, fakes) gives one fingerprint per training forward of
    a model, in call order; an evaluation forward under no_grad gives none."""
    script = tmp_path / "gan.py"
    script.write_text(textwrap.dedent("""
        import torch, torch.nn as nn
        G, D = nn.Linear(4, 2), nn.Linear(2, 1)
        opt = torch.optim.SGD(list(G.parameters()) + list(D.parameters()), lr=0.01)
        for step in range(3):
            opt.zero_grad()
            fake = G(torch.randn(8, 4))
            (D(torch.randn(8, 2)).mean() - D(fake).mean()).backward()
            with torch.no_grad():
                D(torch.randn(5, 2))
            opt.step()
        """))
    result = run_script(str(script), [], observers=[DistributedObserver(0, 1)])
    batches = result.trace.distributed.ranks[0].batches
    assert sorted(batches) == [0, 1, 2]
    assert [fp[:2] for fp in batches[0]] == [(8.0, 4.0), (8.0, 2.0), (8.0, 2.0)]


def test_probes_run_on_the_model_inside_ddp(tmp_path):
    """The input probe copies the module inside DistributedDataParallel, never the wrapper (whose
    forward would broadcast buffers in this process alone), and still finds an ignored input."""
    store = tmp_path / "store"
    script = tmp_path / "ignored.py"
    script.write_text(textwrap.dedent(f"""
        import torch, torch.nn as nn, torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        dist.init_process_group("gloo", init_method="file://{store}", rank=0, world_size=1)
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.bias = nn.Parameter(torch.zeros(1)); self.bn = nn.BatchNorm1d(3)
            def forward(self, x):
                return self.bias.expand(x.shape[0], 1) + 0 * self.bn(x).sum(1, keepdim=True)
        model = DDP(Net())
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        X = torch.randn(64, 3); y = X[:, :1]
        for step in range(12):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(X[step % 4 * 16:][:16]), y[step % 4 * 16:][:16]).backward()
            opt.step()
        dist.destroy_process_group()
        """))
    from unstuck.observe.distributed import unwrapped
    result = run_script(str(script), [], observers=[DistributedObserver(0, 1)])
    assert result.status is None, result.error
    assert not result.tool_errors and result.trace.input_dependence is not None
    assert result.trace.input_dependence < 1e-6
    assert unwrapped(torch.nn.Linear(1, 1)).__class__ is torch.nn.Linear
