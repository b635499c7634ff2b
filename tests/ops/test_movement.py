"""Tests of tinygrad_la/ops/movement.py: reshape/view, permute, expand, squeeze, cat/stack/split, indexing.

The shape ops sit in a table checked against NumPy, gradcheck and gradgradcheck; then indexing
by PyTorch's rules where they differ from NumPy's, and the errors (the message names the shapes
or the dimension).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
from tinygrad_la.testing import arrays, shapes, tensors

from tests.ops.helpers import NONEMPTY, SMALL, axis, boolean_masks, check


# --- shapes ---------------------------------------------------------------------------------------

def none(shape: tuple) -> st.SearchStrategy[None]:
    return st.none()


def new_axis(shape: tuple) -> st.SearchStrategy[int]:
    return st.integers(-len(shape) - 1, len(shape))


def two_axes(shape: tuple) -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(axis(shape), axis(shape))


def same_size_shape(shape: tuple) -> st.SearchStrategy[tuple]:
    """The sides in another order, one of them maybe written -1."""
    return st.permutations(shape).flatmap(lambda sides: st.sampled_from(
        [tuple(sides)] + [tuple(sides[:i]) + (-1,) + tuple(sides[i + 1:]) for i in range(len(sides))]))


def flatten_range(shape: tuple) -> st.SearchStrategy[tuple[int, int]]:
    if not shape:
        return st.just((0, -1))
    n = len(shape)
    return st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).map(sorted).flatmap(
        lambda ends: st.tuples(st.sampled_from([ends[0], ends[0] - n]), st.sampled_from([ends[1], ends[1] - n])))


def np_flatten(a: np.ndarray, ends: tuple[int, int]) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(1)
    start, end = ends[0] % a.ndim, ends[1] % a.ndim
    return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1:])


def bigger_shape(shape: tuple) -> st.SearchStrategy[tuple]:
    """A shape `shape` broadcasts to: maybe a new leading side, and sides of 1 grown."""
    lead = st.lists(st.integers(1, 2), max_size=1)
    grown = st.tuples(*[st.integers(1, 3) if n == 1 else st.just(n) for n in shape])
    return st.tuples(lead, grown).map(lambda parts: tuple(parts[0]) + parts[1])


def with_minus_ones(shape: tuple) -> st.SearchStrategy[tuple]:
    """bigger_shape, where expand's -1 ("keep this side") may stand for a side x already has."""
    def minus_ones(target: tuple) -> st.SearchStrategy[tuple]:
        lead = len(target) - len(shape)
        return st.tuples(*[st.sampled_from([n, -1]) if i >= lead and n == shape[i - lead] else st.just(n)
                           for i, n in enumerate(target)])
    return bigger_shape(shape).flatmap(minus_ones)


def np_expand(a: np.ndarray, target: tuple) -> np.ndarray:
    lead = len(target) - a.ndim
    return np.broadcast_to(a, [a.shape[i - lead] if n == -1 else n for i, n in enumerate(target)])


def split_sizes(shape: tuple) -> st.SearchStrategy[tuple[list[int], int]]:
    """Section sizes that add up to one dimension's size, and that dimension."""
    def sizes(d: int) -> st.SearchStrategy[tuple[list[int], int]]:
        n = shape[d]
        cuts = st.lists(st.integers(1, n - 1), unique=True, max_size=n - 1).map(sorted) if n > 1 else st.just([])
        return cuts.map(lambda c: (list(np.diff([0] + c + [n])), d))
    return axis(shape).flatmap(lambda d: sizes(d % len(shape)))


def np_split_every(a: np.ndarray, step: int, dim: int) -> list[np.ndarray]:
    return np.split(a, list(range(step, a.shape[dim], step)), axis=dim)


# name: (tinygrad_la function(x, p), NumPy function(a, p), shapes, parameter strategy p(shape))
SHAPE_OPS = {
    "reshape(-1)": (lambda x, p: x.reshape(-1), lambda a, p: a.reshape(-1), SMALL, none),
    "view(-1)": (lambda x, p: x.view(-1), lambda a, p: a.reshape(-1), SMALL, none),
    "reshape(shape)": (lambda x, p: x.reshape(p), lambda a, p: a.reshape(p), SMALL, same_size_shape),
    "view(*shape)": (lambda x, p: x.view(*p), lambda a, p: a.reshape(p), SMALL, same_size_shape),
    "flatten()": (lambda x, p: x.flatten(), lambda a, p: a.reshape(-1), SMALL, none),
    "flatten(start, end)": (lambda x, p: x.flatten(*p), np_flatten, SMALL, flatten_range),
    "squeeze()": (lambda x, p: x.squeeze(), lambda a, p: a.squeeze(), SMALL, none),
    "squeeze(dim)": (lambda x, p: x.squeeze(p),
                     lambda a, p: a.squeeze(p) if a.shape[p] == 1 else a, NONEMPTY, axis),
    "unsqueeze(dim)": (lambda x, p: x.unsqueeze(p), np.expand_dims, SMALL, new_axis),
    "transpose(d0, d1)": (lambda x, p: x.transpose(*p), lambda a, p: np.swapaxes(a, *p), NONEMPTY, two_axes),
    "permute(dims)": (lambda x, p: x.permute(*p), np.transpose, SMALL,
                      lambda shape: st.permutations(range(len(shape)))),
    ".T": (lambda x, p: x.T, lambda a, p: a.T, SMALL, none),
    "t()": (lambda x, p: x.t(), lambda a, p: a.T, shapes(max_dims=2), none),
    ".mT": (lambda x, p: x.mT, lambda a, p: np.swapaxes(a, -1, -2), shapes(2, 3, max_side=3), none),
    "expand(*shape)": (lambda x, p: x.expand(*p), np_expand, SMALL, with_minus_ones),
    "broadcast_to(shape)": (lambda x, p: x.broadcast_to(p), np.broadcast_to, SMALL, bigger_shape),
    "expand_as": (lambda x, p: x.expand_as(tg.zeros(p)), np.broadcast_to, SMALL, bigger_shape),
    "split(size, dim)": (lambda x, p: x.split(*p), lambda a, p: np_split_every(a, *p), NONEMPTY,
                         lambda shape: axis(shape).flatmap(
                             lambda d: st.tuples(st.integers(1, shape[d] + 1), st.just(d)))),
    "split(sections, dim)": (lambda x, p: x.split(*p),
                             lambda a, p: np.split(a, np.cumsum(p[0])[:-1], axis=p[1]), NONEMPTY, split_sizes),
    "chunk(chunks, dim)": (lambda x, p: x.chunk(*p),
                           lambda a, p: np_split_every(a, -(-a.shape[p[1]] // p[0]), p[1]), NONEMPTY,
                           lambda shape: st.tuples(st.integers(1, 4), axis(shape))),
}


@pytest.mark.parametrize("name", SHAPE_OPS)
@given(data=st.data())
def test_shape_op(name: str, data: st.DataObject) -> None:
    fn, np_fn, shape_strategy, parameters = SHAPE_OPS[name]
    x = data.draw(tensors(shape_strategy), label="x")
    p = data.draw(parameters(x.shape), label="parameters")
    check(lambda x: fn(x, p), lambda a: np_fn(a, p), x)


@given(data=st.data())
def test_cat(data: st.DataObject) -> None:
    shape = data.draw(NONEMPTY, label="shape")
    dim = data.draw(axis(shape), label="dim")
    sides = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sides along dim")
    xs = [data.draw(tensors(shape[:dim % len(shape)] + (n,) + shape[dim % len(shape) + 1:])) for n in sides]
    check(lambda *xs: tg.cat(xs, dim), lambda *arrays: np.concatenate(arrays, axis=dim), *xs)


@given(data=st.data())
def test_stack(data: st.DataObject) -> None:
    shape = data.draw(shapes(max_dims=2, max_side=3), label="shape")
    dim = data.draw(new_axis(shape), label="dim")
    count = data.draw(st.integers(1, 3), label="count")
    xs = [data.draw(tensors(shape)) for _ in range(count)]
    check(lambda *xs: tg.stack(xs, dim), lambda *arrays: np.stack(arrays, axis=dim), *xs)


# --- indexing -------------------------------------------------------------------------------------

def integer_arrays(shape: tuple) -> st.SearchStrategy:
    """Integer-array indices, often with repeats (their gradients must add up)."""
    return hnp.integer_array_indices(shape, result_shape=shapes(1, 2, max_side=4))


def array_and_slice(shape: tuple) -> st.SearchStrategy:
    """An integer array for dimension 0 with a stepped slice for dimension 1: x[[2, 0, 2], ::-2]."""
    rows = arrays(st.integers(1, 4), min_value=-shape[0], max_value=shape[0] - 1).map(
        lambda a: np.floor(a).astype(np.int64))
    steps = st.builds(slice, st.none() | st.integers(-3, 3), st.none() | st.integers(-3, 3),
                      st.sampled_from([None, 1, 2, -1, -2]))
    return st.tuples(rows, steps) if len(shape) >= 2 else st.tuples(rows)


INDICES = {
    "ints, slices, steps, ..., None": lambda shape: hnp.basic_indices(shape, allow_newaxis=True),
    "integer arrays (repeats)": integer_arrays,
    "boolean mask": boolean_masks,
    "integer array and slice": array_and_slice,
}


@pytest.mark.parametrize("kind", INDICES)
@given(data=st.data())
def test_getitem(kind: str, data: st.DataObject) -> None:
    x = data.draw(tensors(NONEMPTY), label="x")
    index = data.draw(INDICES[kind](x.shape), label="index")
    check(lambda x: x[index], lambda a: a[index], x)


def test_getitem_repeated_indices_accumulate_like_add_at() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    m = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (m[tg.tensor([1, 1]), ::2] * tg.tensor([[1.0, 2.0], [10.0, 20.0]])).sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), [[0, 0, 0], [11, 0, 22]])


def test_getitem_with_tensor_mask() -> None:
    x = tg.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0, 1])


def test_reshape_to_incompatible_shape() -> None:
    with pytest.raises(RuntimeError, match=r"\(4, 2\).*\(2, 3\)"):
        tg.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"\(4, -1\).*\(2, 3\)"):
        tg.ones(2, 3).view(4, -1)


@pytest.mark.parametrize("op", [
    lambda x: x.sum(dim=2), lambda x: x.mean(dim=-3), lambda x: x.amax(dim=(0, 2)), lambda x: x.max(dim=2),
    lambda x: x.var(dim=5), lambda x: x.softmax(dim=2), lambda x: x.log_softmax(dim=-3),
    lambda x: x.transpose(0, 2), lambda x: x.squeeze(2), lambda x: x.flatten(0, 2),
    lambda x: x.permute(0, 2), lambda x: tg.cat([x, x], dim=2), lambda x: x.split(1, dim=2),
], ids=["sum", "mean", "amax", "max", "var", "softmax", "log_softmax", "transpose", "squeeze", "flatten",
        "permute", "cat", "split"])
def test_dim_out_of_range(op: Callable) -> None:
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\]"):
        op(tg.ones(2, 3))


def test_unsqueeze_dim_out_of_range_counts_the_new_dim() -> None:
    with pytest.raises(IndexError, match=r"\[-3, 2\], but got 3"):
        tg.ones(2, 3).unsqueeze(3)


def test_cat_with_mismatched_shapes_names_them() -> None:
    with pytest.raises(RuntimeError, match=r"tensor 1 has shape \(3, 3\) but tensor 0 has shape \(2, 3\)"):
        tg.cat([tg.ones(2, 3), tg.ones(3, 3)], dim=1)
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(2, 3\)"):
        tg.cat([tg.ones(2, 3), tg.ones(2)])


def test_stack_of_unequal_shapes_names_them() -> None:
    with pytest.raises(RuntimeError, match=r"tensor 1 has shape \(3, 2\) but tensor 0 has shape \(2, 3\)"):
        tg.stack([tg.ones(2, 3), tg.ones(3, 2)])


@pytest.mark.parametrize("chunks", [0, -1])
def test_chunk_needs_a_positive_count(chunks: int) -> None:
    with pytest.raises((ValueError, RuntimeError), match=rf"chunks.*{chunks}"):
        tg.ones(3).chunk(chunks)


def cube(n=3):
    return np.arange(float(n ** 3)).reshape(n, n, n)


@pytest.mark.parametrize("index, torch_equivalent", [
    ((0, slice(None), [0, 2]), lambda a: a[0][:, [0, 2]]),
    ((slice(None), 1, slice(None), [0, 1]), None),
    (([0, 2], slice(None), 1), lambda a: a[:, :, 1][[0, 2]]),
    ((1, slice(None), np.array([True, False, True])), lambda a: a[1][:, [0, 2]]),
    ((0, None, slice(None), [1]), lambda a: a[0][None][:, :, [1]]),
], ids=["int-slice-list", "4d", "list-slice-int", "int-slice-mask", "int-None-slice-list"])
def test_integers_apply_before_index_arrays_as_in_pytorch(index, torch_equivalent):
    if torch_equivalent is None:
        data = np.arange(float(3 ** 4)).reshape(3, 3, 3, 3)
        expected = data[:, 1][:, :, [0, 1]]
    else:
        data = cube()
        expected = torch_equivalent(data)
    x = tg.tensor(data, requires_grad=True)
    out = x[index]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    out.sum().backward()
    hits = np.zeros_like(data)
    np.add.at(hits.reshape(-1), (np.arange(data.size).reshape(data.shape)[index] if False else
                                 _flat_hits(data, index)), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), hits)


def _flat_hits(data, index):
    """Flat positions read by x[index] under PyTorch's rule (ints first, then the rest)."""
    flat = tg.tensor(np.arange(data.size, dtype=np.int64).reshape(data.shape))
    return flat[index].numpy().reshape(-1)


def test_int_slice_list_on_a_square_tensor_is_not_transposed():
    x = tg.tensor(cube())
    np.testing.assert_array_equal(x[0, :, [0, 2]].numpy(), [[0.0, 2.0], [3.0, 5.0], [6.0, 8.0]])


def test_an_advanced_index_result_is_laid_out_in_order_as_pytorchs():
    # NumPy lays x[:, [0, -1]] out column by column; PyTorch's result is contiguous, so .view works
    x = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    picked = x[:, [0, -1]]
    assert picked._array.flags.c_contiguous
    flat = (picked * 1).view(-1)
    np.testing.assert_array_equal(flat.numpy(), [0.0, 3.0, 4.0, 7.0, 8.0, 11.0])
    flat.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, [0, -1]], np.ones((3, 2)))
    assert x[1:, 2:]._array.base is not None    # a basic index is still a view
