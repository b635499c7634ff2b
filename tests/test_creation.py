"""Tests of tinygrad_la/creation.py: making tensors from data, constants, ranges and random draws.

The default float dtype is float64 (PyTorch's is float32); the rest is PyTorch's behaviour.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import tinygrad_la as tg
from tinygrad_la.testing import shapes


# =================================================================================================
# creation
# =================================================================================================

def test_tensor_from_python_floats_ints_bools():
    t = tg.tensor([1.0, 2.0])
    assert t.dtype == tg.float64 == np.float64   # our default (PyTorch's is float32)
    assert t.shape == (2,)
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor(3).dtype == tg.int64
    assert tg.tensor([True, False]).dtype == tg.bool
    assert tg.tensor([1, 2.5]).dtype == tg.float64   # mixed ints and floats: floating
    scalar = tg.tensor(3.5)
    assert scalar.shape == () and scalar.ndim == 0


def test_tensor_with_explicit_dtype():
    assert tg.tensor([1, 2], dtype=tg.float32).dtype == np.float32
    assert tg.tensor([1.7, 2.2], dtype=tg.int64).tolist() == [1, 2]
    assert tg.tensor([1.0], dtype=np.float16).dtype == tg.half


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_numpy_arrays_keep_their_dtype(dtype):
    array = np.array([1, 0, 1], dtype=dtype)
    assert tg.tensor(array).dtype == dtype
    assert tg.from_numpy(array).dtype == dtype


def test_numpy_scalars_keep_their_dtype():
    assert tg.tensor(np.float32(1.5)).dtype == np.float32
    assert tg.tensor(np.float64(1.5)).dtype == np.float64     # as torch.tensor(np.float64(1.5))


def test_tensor_copies_its_data():
    array = np.array([1.0, 2.0])
    t = tg.tensor(array)
    array[0] = 100.0
    assert t.tolist() == [1.0, 2.0]
    assert not np.shares_memory(t.numpy(), array)
    source = tg.tensor([3.0, 4.0])
    copy = tg.tensor(source)
    source.data[0] = -1.0
    assert copy.tolist() == [3.0, 4.0]
    nested = [[1.0, 2.0]]
    t = tg.tensor(nested)
    nested[0][0] = 9.0
    assert t.tolist() == [[1.0, 2.0]]


def test_from_numpy_shares_memory_both_ways():
    array = np.array([1.0, 2.0])
    t = tg.from_numpy(array)
    array[0] = 100.0
    assert t.tolist() == [100.0, 2.0]
    t.data[1] = -5.0
    assert array[1] == -5.0
    assert np.shares_memory(t.numpy(), array)
    with pytest.raises(TypeError, match=r"numpy.ndarray.*list"):
        tg.from_numpy([1.0, 2.0])


def test_tensor_from_bad_data_explains():
    with pytest.raises(ValueError, match=r"ragged.*length 2 at dim 1 \(got 1"):   # PyTorch's ValueError
        tg.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="strings"):
        tg.tensor(["a", "b"])


@given(shapes(max_dims=3))
def test_zeros_ones_full_shapes_and_values(shape):
    for made in (tg.zeros(shape), tg.zeros(*shape)):
        assert made.shape == shape and made.dtype == np.float64
        assert not made.numpy().any()
    ones = tg.ones(shape)
    assert ones.shape == shape and ones.dtype == np.float64 and (ones.numpy() == 1).all()
    full = tg.full(shape, 2.5)
    assert full.shape == shape and full.dtype == np.float64 and (full.numpy() == 2.5).all()


def test_full_dtype_follows_the_fill_value():
    assert tg.full((2,), 7).dtype == np.int64
    assert tg.full((2,), 7.0).dtype == np.float64
    assert tg.full((2,), True).dtype == np.bool_
    assert tg.full((2, 2), 7, dtype=tg.float32).dtype == np.float32
    assert tg.full((2, 3), 1.5).tolist() == [[1.5] * 3] * 2


def test_creation_with_requires_grad_and_dtype():
    z = tg.zeros(2, 3, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    assert tg.ones(2, dtype=tg.float32).dtype == np.float32
    assert tg.zeros(2, dtype=tg.int32).dtype == np.int32


def test_zeros_like_ones_like_full_like():
    x = tg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    z, o = tg.zeros_like(x), tg.ones_like(x)
    assert z.shape == o.shape == (1, 3)
    assert z.tolist() == [[0.0, 0.0, 0.0]] and o.tolist() == [[1.0, 1.0, 1.0]]
    assert not z.requires_grad and not o.requires_grad      # like PyTorch: a fresh leaf
    assert tg.zeros_like(tg.tensor([1, 2])).dtype == np.int64
    assert tg.ones_like(x, dtype=tg.float32).dtype == np.float32
    assert tg.full_like(x, 4.0).tolist() == [[4.0, 4.0, 4.0]]
    assert tg.zeros_like(np.ones((2, 2), dtype=np.float32)).dtype == np.float32


def test_arange():
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert tg.arange(5).dtype == np.int64
    assert tg.arange(1, 4).tolist() == [1, 2, 3]
    assert tg.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    quarters = tg.arange(0, 1, 0.25)
    assert quarters.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert quarters.dtype == np.float64
    assert tg.arange(3, dtype=tg.float32).dtype == np.float32


def test_linspace_and_eye():
    t = tg.linspace(0, 1, 5)
    assert t.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] and t.dtype == np.float64
    assert tg.linspace(-3, 3, 80).shape == (80,)
    np.testing.assert_array_equal(tg.linspace(-3, 3, 80).numpy(), np.linspace(-3, 3, 80))
    assert tg.eye(3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert tg.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert tg.eye(2).dtype == np.float64


def test_rand_randn_shapes_dtypes_and_ranges():
    tg.manual_seed(0)
    u = tg.rand(1000)
    assert u.shape == (1000,) and u.dtype == np.float64
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    assert abs(u.numpy().mean() - 0.5) < 0.05
    n = tg.randn(20, 50)
    assert n.shape == (20, 50) and n.dtype == np.float64
    assert abs(n.numpy().mean()) < 0.1 and abs(n.numpy().std() - 1) < 0.1
    assert tg.rand((2, 3)).shape == (2, 3)
    assert tg.randn(2, 3, dtype=tg.float32).dtype == np.float32
    assert tg.randn(3, requires_grad=True).requires_grad


def test_randint_and_randperm():
    tg.manual_seed(0)
    r = tg.randint(3, 7, (200,))
    assert r.dtype == np.int64 and r.shape == (200,)
    assert set(r.tolist()) == {3, 4, 5, 6}
    assert tg.randint(5, size=(2, 3)).shape == (2, 3)
    assert 0 <= tg.randint(5, size=(50,)).numpy().min() and tg.randint(5, size=(50,)).numpy().max() < 5
    p = tg.randperm(10)
    assert p.dtype == np.int64
    assert sorted(p.tolist()) == list(range(10))
