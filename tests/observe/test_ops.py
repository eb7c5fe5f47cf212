"""The op observer's measurements of broadcasts: which axes an operand is stretched along,
and which size-1 axes the user inserted (facts only; LS001 judges them)."""
import torch

from unstuck.observe.ops import inserted_axes, stretched_axes

T = torch.Tensor


def test_stretched_axes_count_from_the_right():
    assert stretched_axes((32, 1), (32, 32)) == {-1}
    assert stretched_axes((32,), (32, 32)) == {-2}           # a missing leading axis
    assert stretched_axes((32, 32), (32, 32)) == frozenset()
    assert stretched_axes((1, 1), (1, 5)) == {-1}             # size-1 output axes are not stretched


def _inserted(func, x, *args, **kwargs):
    out = func(x, *args, **kwargs)
    return inserted_axes(func, (x, *args), kwargs, tuple(out.shape))


def test_indexing_with_none():
    x = torch.zeros(4, 3)
    assert _inserted(T.__getitem__, x, (slice(None), None, slice(None))) == {-2}
    assert _inserted(T.__getitem__, x, (None, Ellipsis)) == {-3}
    assert _inserted(T.__getitem__, x, (Ellipsis, None)) == {-1}
    assert _inserted(T.__getitem__, x, (0, None)) == {-2}
    assert _inserted(T.__getitem__, x, (slice(None), 0)) == frozenset()
    assert _inserted(T.__getitem__, x, (torch.tensor([0, 1]), None)) == frozenset()  # advanced: unknown


def test_unsqueeze_and_view():
    x = torch.zeros(4)
    assert _inserted(T.unsqueeze, x, 1) == {-1}
    assert _inserted(T.unsqueeze, x, 0) == {-2}
    assert _inserted(T.unsqueeze, x, dim=-1) == {-1}
    assert _inserted(T.view, x, -1, 1) == {-1}
    assert _inserted(T.reshape, x, 2, 2) == frozenset()       # a real reshape inserts no axis
    assert _inserted(T.view, torch.zeros(4, 1), -1) == frozenset()  # removing an axis
