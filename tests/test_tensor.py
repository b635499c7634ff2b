"""Tests for making tensors and for what a Tensor is: creation, dtypes, properties, repr, mixing.

The expected behaviour is PyTorch's (checked by hand against torch 2.13 CPU) except where the
README says otherwise: the default float dtype is float64, `numpy()` works with requires_grad,
and NumPy arrays on the left of an operator give Tensors.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la.testing import arrays, shapes


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


def test_set_default_dtype_switches_python_float_tensors_only():
    tg.set_default_dtype(tg.float32)
    try:
        assert tg.get_default_dtype() == tg.float32
        assert tg.tensor([1.0, 2.0]).dtype == np.float32
        assert tg.tensor(1.5).dtype == np.float32
        for made in (tg.zeros(2), tg.ones(2), tg.full((2,), 1.5), tg.rand(2), tg.randn(2),
                     tg.linspace(0, 1, 3), tg.eye(2), tg.arange(0.0, 1.0, 0.5)):
            assert made.dtype == np.float32, made
        assert tg.tensor(np.array([1.0, 2.0])).dtype == np.float64   # arrays keep their dtype
        assert tg.tensor([1, 2]).dtype == np.int64                   # ints stay int64
        assert tg.arange(3).dtype == np.int64
    finally:
        tg.set_default_dtype(tg.float64)
    assert tg.tensor([1.0]).dtype == np.float64


def test_set_default_dtype_rejects_non_float_dtypes():
    with pytest.raises(TypeError, match=r"floating point.*int64"):
        tg.set_default_dtype(tg.int64)
    assert tg.get_default_dtype() == tg.float64


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


@pytest.mark.parametrize("draw", [
    lambda: tg.rand(5), lambda: tg.randn(2, 3), lambda: tg.randint(0, 1000, (8,)), lambda: tg.randperm(20),
], ids=["rand", "randn", "randint", "randperm"])
def test_manual_seed_reproducibility(draw):
    tg.manual_seed(1234)
    first = draw().numpy().copy()
    then = draw().numpy().copy()
    tg.manual_seed(1234)
    np.testing.assert_array_equal(draw().numpy(), first)     # same seed: same numbers
    np.testing.assert_array_equal(draw().numpy(), then)      # ... and the same sequence
    tg.manual_seed(4321)
    assert not np.array_equal(draw().numpy(), first)         # different seed: different numbers


def test_creation_on_cuda_raises_naming_the_cpu():
    with pytest.raises(RuntimeError, match=r"'cuda'.*CPU"):
        tg.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"'cuda:1'.*CPU"):
        tg.tensor([1.0], device="cuda:1")
    assert tg.zeros(2, device="cpu").device == "cpu"


# =================================================================================================
# properties
# =================================================================================================

def test_shape_ndim_dtype_size_numel_len():
    t = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.shape == (2, 3)
    assert t.ndim == 2 and t.dim() == 2
    assert t.dtype == np.float64
    assert t.size() == (2, 3)
    assert t.size(0) == 2 and t.size(1) == 3 and t.size(-1) == 3
    assert t.numel() == 6
    assert len(t) == 2
    with pytest.raises(IndexError, match=r"range.*\[-2, 1\].*2"):
        t.size(2)
    with pytest.raises(TypeError, match="0-d"):
        len(tg.tensor(1.0))


def test_item():
    assert tg.tensor(3.5).item() == 3.5
    assert type(tg.tensor(3.5).item()) is float
    assert tg.tensor([[7]]).item() == 7
    assert type(tg.tensor([7]).item()) is int
    assert tg.tensor(1.0, requires_grad=True).item() == 1.0


def test_item_on_a_multi_element_tensor_names_the_shape():
    with pytest.raises((ValueError, RuntimeError), match=r"one element.*shape \(2, 3\)"):
        tg.zeros(2, 3).item()


def test_item_on_a_multi_element_tensor_raises_runtime_error_like_pytorch():
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        tg.zeros(2).item()


def test_numpy_is_the_data_itself_even_with_requires_grad():
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    a = t.numpy()
    assert a is t.data
    a[0] = 10.0
    assert t.tolist() == [10.0, 2.0]
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32


def test_tolist():
    assert tg.tensor([[1.0, 2.0], [3.0, 4.0]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert tg.tensor(2.0).tolist() == 2.0
    assert tg.arange(3).tolist() == [0, 1, 2]


@given(arrays())
def test_numpy_round_trip(array):
    t = tg.tensor(array)
    np.testing.assert_array_equal(t.numpy(), array)
    assert t.shape == array.shape and t.dtype == array.dtype
    assert t.numel() == array.size and t.ndim == array.ndim
    np.testing.assert_array_equal(np.asarray(tg.from_numpy(array)), array)


def test_iteration_and_conversions():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert [row.tolist() for row in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(tg.tensor([2.5])) == 2.5
    assert int(tg.tensor(3)) == 3
    assert [10, 20, 30][tg.tensor(1)] == 20
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tg.tensor([1.0, 2.0]))
    assert bool(tg.tensor([1.0]))


# =================================================================================================
# repr
# =================================================================================================

@pytest.mark.parametrize("make, expected", [
    (lambda: tg.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: tg.tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda: tg.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: tg.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: tg.tensor(3.0), "tensor(3.)"),
    (lambda: tg.tensor([True, False]), "tensor([ True, False])"),
    (lambda: tg.tensor([0.5, 1.25]), "tensor([0.5000, 1.2500])"),
    (lambda: tg.arange(0, 1, 0.25), "tensor([0.0000, 0.2500, 0.5000, 0.7500])"),
    (lambda: tg.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: tg.tensor([1.0, 2.0], requires_grad=True).exp().sum(), "tensor(10.1073, grad_fn=<SumBackward0>)"),
])
def test_repr_like_pytorch(make, expected):
    assert repr(make()) == expected


def test_repr_names_a_dtype_other_than_the_default():
    text = repr(tg.tensor([1.0, 2.0], dtype=tg.float32))
    assert text.startswith("tensor([1., 2.], dtype=") and "float32" in text
    tg.set_default_dtype(tg.float32)
    try:
        assert repr(tg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
        assert "float64" in repr(tg.tensor([1.0, 2.0], dtype=tg.float64))
    finally:
        tg.set_default_dtype(tg.float64)


# =================================================================================================
# requires_grad and dtypes
# =================================================================================================

def test_comparisons_give_bool_tensors_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x > 1.5, [False, True, True]), (x >= 2, [False, True, True]),
                             (x < 2, [True, False, False]), (x <= 1, [True, False, False]),
                             (x == 2, [False, True, False]), (x != 2, [True, False, True]),
                             (x == tg.tensor([1.0, 0.0, 3.0]), [True, False, True])]:
        assert result.dtype == np.bool_
        assert not result.requires_grad and result.grad_fn is None
        assert result.tolist() == expected


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match=r"floating point.*int64"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floating point.*int64"):
        tg.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match=r"floating point.*int32"):
        tg.zeros(2, dtype=tg.int32, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"floating point.*bool"):
        tg.tensor([True]).requires_grad = True
    converted = tg.tensor([1, 2]).double().requires_grad_()   # the fix the message suggests
    assert converted.requires_grad and converted.dtype == np.float64


def test_dtype_promotion_between_tensors():
    f32 = tg.tensor([1.0, 2.0], dtype=tg.float32)
    f64 = tg.tensor([1.0, 2.0])
    assert (f32 + f64).dtype == np.float64
    assert (f64 * f32).dtype == np.float64
    assert (tg.tensor([True, False]) * f32).dtype == np.float32
    assert (tg.tensor([1, 2]) * 1.5).dtype == np.float64     # int with a Python float: default dtype
    assert (tg.tensor([1, 2]) + 1).dtype == np.int64
    assert (tg.tensor([1, 2], dtype=tg.int32) + tg.tensor([1, 2])).dtype == np.int64


def test_integer_tensor_with_float32_tensor_stays_float32():
    f32 = tg.ones(3, dtype=tg.float32)
    assert (tg.arange(3) * f32).dtype == np.float32
    assert (tg.tensor([1, 2, 3]) + f32).dtype == np.float32


def test_float32_stays_float32_with_python_scalars():
    x = tg.tensor([1.0, 2.0], dtype=tg.float32, requires_grad=True)
    for result in (x + 1, x * 2.5, 2.0 / x, x - 0.1, x ** 2, 1 - x, x.exp(), x.mean(), (x * 3.0).sum()):
        assert result.dtype == np.float32, result
    ((x * 2.5) ** 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [12.5, 25.0], rtol=1e-6)


def test_float32_stays_float32_with_numpy_scalars():
    x = tg.tensor([1.0, 4.0], dtype=tg.float32)
    assert (x / np.sqrt(4.0)).dtype == np.float32      # np.sqrt(4.0) is np.float64
    assert (x * np.float64(2.0)).dtype == np.float32


def test_to_and_casts():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x
    y = x.to(tg.float32)
    assert y.dtype == np.float32 and y.requires_grad
    y.sum().backward()                                  # casts between floats are differentiable
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [1.0, 1.0]
    assert x.double().dtype == np.float64 and x.float().dtype == np.float32
    assert tg.tensor([1.7, -1.2]).long().tolist() == [1, -1]


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_to_another_device_raises_naming_the_cpu(device):
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=rf"'{device}'.*CPU"):
        x.to(device)
    with pytest.raises(RuntimeError, match="CPU"):
        x.to(device=device)


# =================================================================================================
# mixing Python scalars, lists and NumPy arrays with tensors
# =================================================================================================

def test_numpy_array_on_the_left_gives_a_tensor_with_grad():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, tg.Tensor)
    assert y.requires_grad and y.grad_fn.name() == "MulBackward0"
    assert y.tolist() == [3.0, 8.0]
    z = np.array([10.0, 20.0]) - x + np.array([1.0, 1.0]) / (x + 1)
    assert isinstance(z, tg.Tensor) and z.requires_grad
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 - 1 - 1 / 4, 4.0 - 1 - 1 / 9], rtol=1e-15)


def test_numpy_ufuncs_and_matmul_on_tensors():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    y = np.exp(x)
    assert isinstance(y, tg.Tensor) and y.grad_fn.name() == "ExpBackward0"
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    z = W @ x
    assert isinstance(z, tg.Tensor) and z.tolist() == [2.0, 4.0]
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]) + [4.0, 6.0], rtol=1e-15)


def test_python_scalars_and_lists_mix_with_tensors():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = 2 * x + [1.0, 1.0] - 1
    assert y.tolist() == [2.0, 4.0] and y.requires_grad
    z = [3.0, 4.0] * x                                  # a list on the left is not repeated
    assert z.tolist() == [3.0, 8.0] and z.requires_grad
    assert (x * [3.0, 4.0]).tolist() == [3.0, 8.0]
    w = 1 / x + 2 ** x
    np.testing.assert_allclose(w.numpy(), [1 + 2, 0.5 + 4], rtol=1e-15)
    (y.sum() + z.sum() + w.sum()).backward()
    expected = 2 + np.array([3.0, 4.0]) - 1 / np.array([1.0, 4.0]) + np.log(2) * 2 ** np.array([1.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


def test_broadcasting_a_row_bias_over_a_batch():
    X = tg.tensor(np.arange(6.0).reshape(3, 2))
    b = tg.tensor([10.0, 20.0], requires_grad=True)
    (X + b).sum().backward()
    assert b.grad.tolist() == [3.0, 3.0]                 # db = 1ᵀ dZ: summed over the batch


@given(st.floats(-1e3, 1e3, allow_nan=False), st.integers(-100, 100))
def test_scalar_arithmetic_matches_numpy(a, n):
    t = tg.tensor([a, 1.5])
    np.testing.assert_array_equal((t * n + a).numpy(), np.array([a, 1.5]) * n + a)
    np.testing.assert_array_equal((n - t).numpy(), n - np.array([a, 1.5]))
