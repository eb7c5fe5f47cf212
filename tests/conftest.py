import os
import sys
import tempfile
import warnings

import pytest
import torch
import torch.nn.modules.module as module_hooks
import torch.optim.optimizer as optimizer_hooks

sys.path.insert(0, os.path.dirname(__file__))


# The quick run (`pytest -q`, the README's test command) leaves out the tests marked `slow`:
# whole corpora, many subprocesses, torchrun launches, the notebook, Lightning and the HF
# Trainer, the browser. `--full` runs everything (CI: `bash .ci/run`); an explicit `-m` selects
# as it says (`-m slow`: only the slow ones).
def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", default=False,
                     help="also run the tests marked slow (the whole suite, as CI runs it)")


def _quick(config) -> bool:
    return not config.getoption("--full") and not config.option.markexpr


def pytest_report_header(config):
    if _quick(config):
        return "quick run: tests marked slow are deselected (--full runs the whole suite, as CI does)"
    return None


def pytest_collection_modifyitems(config, items):
    if not _quick(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def _global_state():
    """Everything unstuck patches or pushes while it watches a script."""
    return (warnings.warn, torch.autograd.backward, torch.autograd.grad, torch.Tensor.backward,
            torch.optim.Optimizer.__init__, torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad,
            torch.no_grad.__dict__.get("__enter__"), torch.inference_mode.__dict__.get("__enter__"),
            torch._C._len_torch_function_stack(), len(module_hooks._global_forward_hooks),
            len(module_hooks._global_forward_pre_hooks), len(optimizer_hooks._global_optimizer_pre_hooks),
            len(optimizer_hooks._global_optimizer_post_hooks))


@pytest.fixture(autouse=True)
def forgets_scripts_modules():
    """A helper module a test's script imported from its temporary folder is forgotten after the
    test: a later in-process run would otherwise count it among the user's loaded files (and the
    order of tests, which `-k`, `-p randomly` or `-n` change, would decide what a test sees)."""
    before = set(sys.modules)
    yield
    tmp = os.path.realpath(tempfile.gettempdir())
    for name in set(sys.modules) - before:
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        if path and os.path.realpath(path).startswith(tmp + os.sep):
            sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def leaves_torch_as_it_found_it():
    """Every test must leave torch's global state exactly as it was: no hook, patch or
    function mode may outlive a watched run."""
    before = _global_state()
    yield
    assert _global_state() == before
