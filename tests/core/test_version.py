"""Tests of tinygrad_la/core/version.py: version counters.

A backward that needs a value changed in place since it was saved must raise; views and detached
tensors share their base's counter, so a change through any of them counts.
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg

from tests.helpers import leaf


@pytest.mark.parametrize("make_view", [
    lambda t: t.reshape(2, 2), lambda t: t.T, lambda t: t[0], lambda t: t[:, ::2],
    lambda t: t[0, 1], lambda t: t.squeeze(), lambda t: t.expand(2, 2, 2),
    lambda t: tg.einsum("ii->i", t),
], ids=["reshape", "T", "int", "step slice", "two ints", "squeeze", "expand", "einsum diagonal"])
def test_every_op_whose_result_is_a_view_shares_the_version_counter(make_view):
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 1
    y = make_view(h) * 2 * make_view(h)   # Mul saved the view
    with tg.no_grad():
        h.add_(1)              # changes what the view sees
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_a_detached_tensor_shares_the_version_counter():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h * h
    with tg.no_grad():
        h.detach().add_(1)
    np.testing.assert_array_equal(h.numpy(), [2.0, 3.0])
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_in_place_update_under_no_grad_bumps_the_version():
    w = leaf([1.0, 2.0])
    y = w * w                                    # saves w for backward
    with tg.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match=r"MulBackward0.*modified by an in-place operation"):
        y.sum().backward()
