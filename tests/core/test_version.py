"""Tests of tinygrad_la/core/version.py: version checks.

A backward that needs a value changed in place since it was saved must raise. The check follows
memory, so a change through a view, a detached tensor, ``.data`` or another tensor on the same
NumPy array counts; and the bookkeeping keeps no array alive.
"""
from __future__ import annotations

import gc

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la.core import version

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


def test_a_change_through_another_tensor_on_the_same_numpy_array_is_caught():
    memory = np.array([1.0, 2.0])
    x = leaf([3.0, 4.0])
    h = tg.from_numpy(memory)
    y = x * h                                    # saves h's array for dx
    with tg.no_grad():
        tg.from_numpy(memory).mul_(2)            # a different tensor object, the same memory
    with pytest.raises(RuntimeError, match="MulBackward0.*in-place"):
        y.sum().backward()


def test_a_change_to_unrelated_memory_leaves_the_backward_alone():
    x = leaf([1.0, 2.0])
    y = x * x
    other = tg.tensor([5.0, 6.0])
    other.add_(1)                                # the clock moves, but not for what y saved
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_the_change_table_keeps_no_array_alive():
    gc.collect()
    before = len(version._changes)
    changed = [tg.zeros(3) for _ in range(50)]
    for t in changed:
        t.add_(1)
    assert len(version._changes) == before + 50
    del changed, t
    gc.collect()
    assert len(version._changes) == before
