"""The fast statistics give torch's own numbers (float64 reference), NaN/Inf included."""
import math

import pytest
import torch

from unstuck.observe.stats import all_finite, feature_std_mean, value_range


@pytest.mark.parametrize("shape,offset,scale", [((256, 32), 0.0, 1.0), ((64, 8), 1e4, 1e-2), ((16, 3, 5, 5), 5.0, 3.0),
                                                ((2, 4), 0.0, 1.0), ((100, 3), 1e6, 1.0)])
def test_feature_std_and_mean_match_torch_far_from_zero_too(shape, offset, scale):
    torch.manual_seed(0)
    x = torch.randn(*shape) * scale + offset
    std, mean = feature_std_mean(x)
    ref_std, ref_mean = torch.std_mean(x.double(), dim=(0, *range(2, x.dim())))
    assert std.double() == pytest.approx(ref_std, rel=1e-4)
    assert mean.double() == pytest.approx(ref_mean, rel=1e-6, abs=1e-5 * scale)


def test_a_constant_feature_has_zero_std():
    x = torch.randn(50, 3)
    x[:, 1] = 7.0
    std, _ = feature_std_mean(x)
    assert float(std[1]) == 0.0 and float(std[0]) > 0.5


def test_finiteness_and_range():
    assert value_range(torch.tensor([3.0, -1.0, 2.0])) == (-1.0, 3.0)
    assert value_range(torch.empty(0)) is None
    assert all(math.isnan(v) for v in value_range(torch.tensor([1.0, float("nan")])))
    assert all_finite(torch.randn(10)) and all_finite(torch.arange(4)) and all_finite(torch.empty(0))
    assert not all_finite(torch.tensor([1.0, float("inf")]))
    assert not all_finite(torch.tensor([1.0, float("-inf")], dtype=torch.float16))
    assert not all_finite(torch.tensor([1 + 1j, complex(float("nan"), 0)]))


@pytest.mark.parametrize("shape", [(8, 3, 224, 224), (20_000, 16), (4, 40_000)])
def test_large_inputs_are_estimated_on_an_even_subsample(shape):
    torch.manual_seed(0)
    x = torch.randn(*shape) * torch.linspace(0.5, 4.0, shape[1]).reshape(1, -1, *[1] * (len(shape) - 2)) + 3.0
    std, mean = feature_std_mean(x)
    ref_std, ref_mean = torch.std_mean(x.double(), dim=(0, *range(2, x.dim())))
    assert std.double() == pytest.approx(ref_std, rel=0.1)
    assert mean.double() == pytest.approx(ref_mean, abs=0.2)
