"""Helpers shared by the op tests: input strategies and the three-way check.

`check(fn, np_fn, *inputs)` compares an op's forward with NumPy on copies of the same data, then
runs gradcheck and gradgradcheck on it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

from tinygrad_la import Tensor, gradcheck, gradgradcheck
from tinygrad_la.testing import arrays, shapes


# At most 27 entries per input: gradcheck runs two forward passes per entry.
SMALL = shapes(max_dims=3, max_side=3)
NONEMPTY = shapes(min_dims=1, max_dims=3, max_side=3)


def assert_close(actual: Any, expected: Any) -> None:
    """A Tensor (or a tuple of them) equals NumPy's answer in shape and value."""
    if isinstance(expected, (tuple, list)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e)
        return
    assert isinstance(actual, Tensor), f"expected a Tensor, got {type(actual).__name__}"
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-10, atol=1e-12)


def check(fn: Callable, np_fn: Callable, *inputs: Tensor) -> None:
    """fn's forward against np_fn on copies of the same data, then its first and second derivatives."""
    out = fn(*inputs)
    assert_close(out, np_fn(*[x.numpy().copy() for x in inputs]))
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def axis(shape: tuple) -> st.SearchStrategy[int]:
    return st.integers(-len(shape), len(shape) - 1)


def boolean_masks(shape: tuple) -> st.SearchStrategy:
    """A mask over the first k dimensions (k >= 1)."""
    return st.integers(1, len(shape)).flatmap(lambda k: arrays(shape[:k]).map(lambda a: a > 0))
