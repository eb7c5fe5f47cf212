import pytest
import torch

from unstuck.observe.shapes import broadcast_shape


@pytest.mark.parametrize("a,b", [((4, 1), (4,)), ((3,), (3,)), ((2, 1, 5), (7, 1)), ((), (3, 2)), ((0, 1), (1, 4)),
                                 ((4, 2), (3,)), ((2, 3), (3, 2))])
def test_broadcast_shape_agrees_with_torch(a, b):
    try:
        expected = tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        expected = None
    assert broadcast_shape(a, b) == expected
