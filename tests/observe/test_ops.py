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


def test_report_pictures_pair_each_sample_with_its_target():
    from unstuck.observe.ops import MAX_PAIRS, _class_counts, _pairs
    pred = torch.arange(6.0).reshape(6, 1)  # [N, 1] against [N]: paired sample by sample
    target = torch.arange(6.0) * 10
    assert _pairs(pred, target) == tuple((float(i), float(10 * i)) for i in range(6))
    assert len(_pairs(torch.zeros(500, 3), torch.zeros(500, 3))) == MAX_PAIRS
    assert _pairs(torch.zeros(4, 1), torch.zeros(5)) == ()  # no row per sample: no pairs
    assert _pairs(torch.zeros(()), torch.zeros(())) == ()
    # class 0 predicted three times, class 2 once; targets one of each, class 3 too
    assert _class_counts(torch.bincount(torch.tensor([0, 0, 0, 2])), torch.bincount(torch.tensor([0, 1, 2, 3]))) \
        == ((3, 1), (0, 1), (1, 1), (0, 1))
    assert _class_counts(torch.ones(100, dtype=torch.long), torch.ones(3, dtype=torch.long)) == ()
