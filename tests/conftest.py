import os
import sys
import warnings

import pytest
import torch
import torch.nn.modules.module as module_hooks
import torch.optim.optimizer as optimizer_hooks

sys.path.insert(0, os.path.dirname(__file__))


def _global_state():
    """Everything unstuck patches or pushes while it watches a script."""
    return (warnings.warn, torch.autograd.backward, torch.autograd.grad, torch.Tensor.backward,
            torch.optim.Optimizer.__init__, torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad,
            torch.no_grad.__dict__.get("__enter__"), torch.inference_mode.__dict__.get("__enter__"),
            torch._C._len_torch_function_stack(), len(module_hooks._global_forward_hooks),
            len(module_hooks._global_forward_pre_hooks), len(optimizer_hooks._global_optimizer_pre_hooks),
            len(optimizer_hooks._global_optimizer_post_hooks))


@pytest.fixture(autouse=True)
def leaves_torch_as_it_found_it():
    """Every test must leave torch's global state exactly as it was: no hook, patch or
    function mode may outlive a watched run."""
    before = _global_state()
    yield
    assert _global_state() == before
