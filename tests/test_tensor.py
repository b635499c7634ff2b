"""Tests of tinygrad_la/tensor.py: what a Tensor is: properties, repr, conversions, dtype promotion, operands.

The expected behaviour is PyTorch's (checked by hand against torch 2.13 CPU) except where the
README says otherwise: the default float dtype is float64, `numpy()` works with requires_grad,
and NumPy arrays on the left of an operator give Tensors. Method signatures follow PyTorch's
(positional and keyword arguments mean what they mean there).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la import Tensor
from tinygrad_la.testing import arrays


try:
    import torch
except ImportError:   # the tests that compare with PyTorch then check its answers written down from torch 2.13
    torch = None


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
    assert a is t.numpy()
    a[0] = 10.0
    assert t.tolist() == [10.0, 2.0]
    assert np.asarray(t) is t.numpy()
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


# =================================================================================================
# PyTorch's signatures: positional arguments mean what they mean in PyTorch
# =================================================================================================

X = [[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]
Y = [[0.5, 7.0, 3.0], [1.0, 2.0, 9.0]]

# Each method and top-level function called positionally, as a PyTorch program would (x, y: float64
# tensors of X and Y; c = x > 2.5), and PyTorch 2.13's answer (a (values, indices) pair as two lists).
POSITIONAL_CALLS = {
    "x.sum(1, True)": [[6.0], [18.0]],
    "x.mean(1, True)": [[2.0], [6.0]],
    "x.prod(1, True)": [[6.0], [192.0]],
    "x.amax(1, True)": [[3.0], [8.0]],
    "x.amin(0, True)": [[1.0, 2.0, 3.0]],
    "x.max(1, True)": [[[3.0], [8.0]], [[2], [2]]],
    "x.min(0, True)": [[[1.0, 2.0, 3.0]], [[0, 0, 0]]],
    "x.max(y)": [[1.0, 7.0, 3.0], [4.0, 6.0, 9.0]],
    "x.min(y)": [[0.5, 2.0, 3.0], [1.0, 2.0, 8.0]],
    "x.argmax(1, True)": [[2], [2]],
    "x.argmin(0, True)": [[0, 0, 0]],
    "x.var(1, False)": [0.666666666667, 2.666666666667],
    "x.var(1, False, True)": [[0.666666666667], [2.666666666667]],
    "x.var(1, True, True)": [[1.0], [4.0]],
    "x.var(False)": 5.666666666667,
    "x.var(0)": [4.5, 8.0, 12.5],
    "x.std(1, False)": [0.816496580928, 1.632993161855],
    "x.std(0, True, True)": [[2.12132034356, 2.828427124746, 3.535533905933]],
    "x.std(False)": 2.380476142848,
    "x.logsumexp(1, True)": [[3.407605964444], [8.1429316285]],
    "x.softmax(0)": [[0.047425873178, 0.017986209962, 0.006692850924], [0.952574126822, 0.982013790038, 0.993307149076]],
    "x.log_softmax(1)": [[-2.407605964444, -1.407605964444, -0.407605964444], [-4.1429316285, -2.1429316285, -0.1429316285]],
    "x.softmax(0, lib.float32)": [[0.047425873578, 0.017986210063, 0.006692850962], [0.952574133873, 0.982013761997, 0.993307173252]],
    "x.log_softmax(1, lib.float32)": [[-2.407605886459, -1.407605886459, -0.407605946064], [-4.142931461334, -2.142931699753, -0.142931595445]],
    "x.clamp(2, 5)": [[2.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "x.clip(2, 5)": [[2.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "x.clamp(None, 5)": [[1.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "x.all(1, True)": [[True], [True]],
    "x.any(0, True)": [[True, True, True]],
    "x.add(y)": [[1.5, 9.0, 6.0], [5.0, 8.0, 17.0]],
    "x.sub(y)": [[0.5, -5.0, 0.0], [3.0, 4.0, -1.0]],
    "x.mul(y)": [[0.5, 14.0, 9.0], [4.0, 12.0, 72.0]],
    "x.div(y)": [[2.0, 0.285714285714, 1.0], [4.0, 3.0, 0.888888888889]],
    "x.pow(2)": [[1.0, 4.0, 9.0], [16.0, 36.0, 64.0]],
    "x.where(c, y)": [[0.5, 7.0, 3.0], [4.0, 6.0, 8.0]],
    "x.maximum(y)": [[1.0, 7.0, 3.0], [4.0, 6.0, 9.0]],
    "x.minimum(y)": [[0.5, 2.0, 3.0], [1.0, 2.0, 8.0]],
    "x.transpose(0, 1)": [[1.0, 4.0], [2.0, 6.0], [3.0, 8.0]],
    "x.flatten(0, 1)": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0],
    "x.unsqueeze(1)": [[[1.0, 2.0, 3.0]], [[4.0, 6.0, 8.0]]],
    "x.permute(1, 0)": [[1.0, 4.0], [2.0, 6.0], [3.0, 8.0]],
    "x.reshape(3, 2)": [[1.0, 2.0], [3.0, 4.0], [6.0, 8.0]],
    "x.view(3, 2)": [[1.0, 2.0], [3.0, 4.0], [6.0, 8.0]],
    "x.split(2, 1)": [[[1.0, 2.0], [4.0, 6.0]], [[3.0], [8.0]]],
    "x.chunk(2, 1)": [[[1.0, 2.0], [4.0, 6.0]], [[3.0], [8.0]]],
    "x.size(1)": 3,
    "x.expand(2, 2, 3)": [[[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]], [[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]],
    "x.squeeze(0)": [[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]],
    "x.swapaxes(0, 1)": [[1.0, 4.0], [2.0, 6.0], [3.0, 8.0]],
    "lib.sum(x, 1, True)": [[6.0], [18.0]],
    "lib.mean(x, 1, True)": [[2.0], [6.0]],
    "lib.prod(x, 1, True)": [[6.0], [192.0]],
    "lib.var(x, 1, False)": [0.666666666667, 2.666666666667],
    "lib.std(x, 1, False, True)": [[0.816496580928], [1.632993161855]],
    "lib.var(x, 1, correction=0)": [0.666666666667, 2.666666666667],
    "lib.amax(x, 1, True)": [[3.0], [8.0]],
    "lib.amin(x, 1, True)": [[1.0], [4.0]],
    "lib.max(x, 1, True)": [[[3.0], [8.0]], [[2], [2]]],
    "lib.min(x, 1)": [[1.0, 4.0], [0, 0]],
    "lib.max(x, y)": [[1.0, 7.0, 3.0], [4.0, 6.0, 9.0]],
    "lib.argmax(x, 1, True)": [[2], [2]],
    "lib.logsumexp(x, 1, True)": [[3.407605964444], [8.1429316285]],
    "lib.softmax(x, 0, lib.float32)": [[0.047425873578, 0.017986210063, 0.006692850962], [0.952574133873, 0.982013761997, 0.993307173252]],
    "lib.log_softmax(x, 0)": [[-3.048587351574, -4.018149927918, -5.006715348489], [-0.048587351574, -0.018149927918, -0.006715348489]],
    "lib.clamp(x, 2, 5)": [[2.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "lib.clip(x, None, 5)": [[1.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "lib.where(c, x, y)": [[0.5, 7.0, 3.0], [4.0, 6.0, 8.0]],
    "lib.maximum(x, y)": [[1.0, 7.0, 3.0], [4.0, 6.0, 9.0]],
    "lib.minimum(x, y)": [[0.5, 2.0, 3.0], [1.0, 2.0, 8.0]],
    "lib.add(x, y, alpha=2)": [[2.0, 16.0, 9.0], [6.0, 10.0, 26.0]],
    "lib.sub(x, y, alpha=2)": [[0.0, -12.0, -3.0], [2.0, 2.0, -10.0]],
    "lib.mul(x, y)": [[0.5, 14.0, 9.0], [4.0, 12.0, 72.0]],
    "lib.div(x, y)": [[2.0, 0.285714285714, 1.0], [4.0, 3.0, 0.888888888889]],
    "lib.pow(x, 2)": [[1.0, 4.0, 9.0], [16.0, 36.0, 64.0]],
    "lib.pow(2.0, x)": [[2.0, 4.0, 8.0], [16.0, 64.0, 256.0]],
    "lib.transpose(x, 0, 1)": [[1.0, 4.0], [2.0, 6.0], [3.0, 8.0]],
    "lib.flatten(x, 0, 1)": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0],
    "lib.unsqueeze(x, 1)": [[[1.0, 2.0, 3.0]], [[4.0, 6.0, 8.0]]],
    "lib.squeeze(x[None], 0)": [[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]],
    "lib.permute(x, (1, 0))": [[1.0, 4.0], [2.0, 6.0], [3.0, 8.0]],
    "lib.reshape(x, (3, 2))": [[1.0, 2.0], [3.0, 4.0], [6.0, 8.0]],
    "lib.split(x, 2, 1)": [[[1.0, 2.0], [4.0, 6.0]], [[3.0], [8.0]]],
    "lib.chunk(x, 2, 1)": [[[1.0, 2.0], [4.0, 6.0]], [[3.0], [8.0]]],
    "lib.cat([x, y], 1)": [[1.0, 2.0, 3.0, 0.5, 7.0, 3.0], [4.0, 6.0, 8.0, 1.0, 2.0, 9.0]],
    "lib.stack([x, y], 1)": [[[1.0, 2.0, 3.0], [0.5, 7.0, 3.0]], [[4.0, 6.0, 8.0], [1.0, 2.0, 9.0]]],
    "lib.matmul(x, y.T)": [[23.5, 32.0], [68.0, 88.0]],
    "lib.einsum('ij,ij->i', x, y)": [23.5, 88.0],
    "lib.all(x > 0, 1)": [True, True],
    "lib.any(x > 5, 0)": [False, True, True],
}


# The same with PyTorch's keyword names.
KEYWORD_CALLS = {
    "lib.where(c, input=x, other=y)": [[0.5, 7.0, 3.0], [4.0, 6.0, 8.0]],
    "x.where(c, other=y)": [[0.5, 7.0, 3.0], [4.0, 6.0, 8.0]],
    "x.clamp(min=2, max=5)": [[2.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "x.var(dim=1, unbiased=False, keepdim=True)": [[0.666666666667], [2.666666666667]],
    "x.std(dim=1, correction=0)": [0.816496580928, 1.632993161855],
    "x.sum(dim=1, keepdim=True, dtype=lib.float32)": [[6.0], [18.0]],
    "x.mean(dim=1, dtype=lib.float32)": [2.0, 6.0],
    "x.pow(exponent=2)": [[1.0, 4.0, 9.0], [16.0, 36.0, 64.0]],
    "x.add(other=y, alpha=2)": [[2.0, 16.0, 9.0], [6.0, 10.0, 26.0]],
    "x.sub(other=y, alpha=2)": [[0.0, -12.0, -3.0], [2.0, 2.0, -10.0]],
    "x.mul(other=y)": [[0.5, 14.0, 9.0], [4.0, 12.0, 72.0]],
    "x.div(other=y)": [[2.0, 0.285714285714, 1.0], [4.0, 3.0, 0.888888888889]],
    "x.softmax(dim=0, dtype=lib.float32)": [[0.047425873578, 0.017986210063, 0.006692850962], [0.952574133873, 0.982013761997, 0.993307173252]],
    "x.max(dim=1, keepdim=True)": [[[3.0], [8.0]], [[2], [2]]],
    "x.amax(dim=(0, 1), keepdim=True)": [[8.0]],
    "x.div(y, rounding_mode='floor')": [[2.0, 0.0, 1.0], [4.0, 3.0, 0.0]],
    "x % y": [[0.0, 2.0, 0.0], [0.0, 0.0, 8.0]],
    "x.remainder(y)": [[0.0, 2.0, 0.0], [0.0, 0.0, 8.0]],
    "x.maximum(other=y)": [[1.0, 7.0, 3.0], [4.0, 6.0, 9.0]],
    "x.logsumexp(dim=1, keepdim=True)": [[3.407605964444], [8.1429316285]],
    "x.prod(dim=1, keepdim=True, dtype=lib.float32)": [[6.0], [192.0]],
    "x.argmax(dim=1, keepdim=True)": [[2], [2]],
    "lib.clamp(x, min=2, max=5)": [[2.0, 2.0, 3.0], [4.0, 5.0, 5.0]],
    "lib.pow(x, exponent=2)": [[1.0, 4.0, 9.0], [16.0, 36.0, 64.0]],
    "lib.div(x, y, rounding_mode='trunc')": [[2.0, 0.0, 1.0], [4.0, 3.0, 0.0]],
    "x.transpose(dim0=0, dim1=1)": [[1.0, 4.0], [2.0, 6.0], [3.0, 8.0]],
    "x.unsqueeze(dim=0)": [[[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]],
    "x.flatten(start_dim=0, end_dim=1)": [1.0, 2.0, 3.0, 4.0, 6.0, 8.0],
}

# Calls that PyTorch refuses with a TypeError (alpha and dtype are keyword-only; var's second
# positional argument is `unbiased`, a bool, not a correction).
POSITIONAL_REFUSED = ["x.add(y, 2)", "x.sub(y, 2)", "x.var(1, 0)", "x.std(1, 2)", "x.sum(1, True, lib.float32)",
                      "x.mean(1, True, lib.float32)", "x.prod(1, True, lib.float32)", "lib.add(x, y, 2)"]


def _call(lib: Any, call: str) -> Any:
    x = lib.tensor(X, dtype=lib.float64)
    y = lib.tensor(Y, dtype=lib.float64)
    return eval(call, {"lib": lib, "x": x, "y": y, "c": x > 2.5})   # noqa: S307  (the table's own text)


def _assert_same(result: Any, expected: Any, rtol: float) -> None:
    """A tensor, a (values, indices) pair or a list of tensors holds the expected (nested) lists."""
    if isinstance(result, (tuple, list)):
        assert len(result) == len(expected)
        for r, e in zip(result, expected):
            _assert_same(r, e, rtol)
        return
    if not isinstance(expected, (int, float)):
        expected = np.asarray(expected)
        assert tuple(result.shape) == expected.shape
    np.testing.assert_allclose(np.asarray(result.tolist() if hasattr(result, "tolist") else result, dtype=float),
                               np.asarray(expected, dtype=float), rtol=rtol)


def _as_lists(result: Any) -> Any:
    if isinstance(result, (tuple, list)):
        return [_as_lists(r) for r in result]
    return result.tolist() if hasattr(result, "tolist") else result


def _assert_pytorch_answer(call: str, expected: Any) -> None:
    result = _call(tg, call)
    rtol = 1e-6 if getattr(result, "dtype", None) == np.float32 else 1e-10
    _assert_same(result, expected, rtol)
    if torch is not None:
        _assert_same(result, _as_lists(_call(torch, call)), rtol)


@pytest.mark.parametrize("call", POSITIONAL_CALLS)
def test_positional_arguments_follow_pytorch_signatures(call: str) -> None:
    _assert_pytorch_answer(call, POSITIONAL_CALLS[call])


@pytest.mark.parametrize("call", KEYWORD_CALLS)
def test_keyword_arguments_have_pytorch_names(call: str) -> None:
    _assert_pytorch_answer(call, KEYWORD_CALLS[call])


@pytest.mark.parametrize("call", POSITIONAL_REFUSED)
def test_positional_arguments_pytorch_refuses_are_refused(call: str) -> None:
    with pytest.raises(TypeError):
        _call(tg, call)
    if torch is not None:
        with pytest.raises(TypeError):
            _call(torch, call)


# =================================================================================================
# mixing with NumPy scalars and other objects
# =================================================================================================

t32 = lambda: tg.tensor([1.0, 2.0], dtype=tg.float32, requires_grad=True)   # noqa: E731
t64 = lambda: tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)   # noqa: E731

# A NumPy scalar (or 0-d array) acts like the Python number it holds, on either side and in every
# op that takes a number: (expression, its dtype, its values) as PyTorch 2.13 gives them.
NUMPY_SCALAR_CASES = {
    "np.float64(2) * t32": (lambda: np.float64(2) * t32(), np.float32, [2.0, 4.0]),
    "t32 * np.float64(2)": (lambda: t32() * np.float64(2), np.float32, [2.0, 4.0]),
    "np.float32(2) * t64": (lambda: np.float32(2) * t64(), np.float64, [2.0, 4.0]),
    "t64 * np.float32(2)": (lambda: t64() * np.float32(2), np.float64, [2.0, 4.0]),
    "np.int64(3) * t32": (lambda: np.int64(3) * t32(), np.float32, [3.0, 6.0]),
    "t32 * np.bool_(True)": (lambda: t32() * np.bool_(True), np.float32, [1.0, 2.0]),
    "int64 + np.int64(2)": (lambda: tg.tensor([1, 2]) + np.int64(2), np.int64, [3, 4]),
    "t32 / np.float32(2)": (lambda: t32() / np.float32(2), np.float32, [0.5, 1.0]),
    "np.float64(5) - t32": (lambda: np.float64(5) - t32(), np.float32, [4.0, 3.0]),
    "t32 ** np.float64(2)": (lambda: t32() ** np.float64(2), np.float32, [1.0, 4.0]),
    "np.float64(2) ** t32": (lambda: np.float64(2) ** t32(), np.float32, [2.0, 4.0]),
    "t32 + np.array(2.0)": (lambda: t32() + np.array(2.0), np.float32, [3.0, 4.0]),   # PyTorch: float64
    "np.array(2.0) * t32": (lambda: np.array(2.0) * t32(), np.float32, [2.0, 4.0]),
    "t32.maximum(np.float64(1.5))": (lambda: t32().maximum(np.float64(1.5)), np.float32, [1.5, 2.0]),
    "t32.minimum(np.float64(1.5))": (lambda: t32().minimum(np.float64(1.5)), np.float32, [1.0, 1.5]),
    "where(c, t32, np.float64(3))": (lambda: tg.where(tg.tensor([False, True]), t32(), np.float64(3)),
                                     np.float32, [3.0, 2.0]),
    "t32.clamp(np.float64(1.5))": (lambda: t32().clamp(np.float64(1.5)), np.float32, [1.5, 2.0]),
    "t32.clamp(max=np.float64(1.5))": (lambda: t32().clamp(max=np.float64(1.5)), np.float32, [1.0, 1.5]),
    "t32.pow(np.float64(2))": (lambda: t32().pow(np.float64(2)), np.float32, [1.0, 4.0]),
    "tg.pow(np.float64(2), t32)": (lambda: tg.pow(np.float64(2), t32()), np.float32, [2.0, 4.0]),
    "tg.mul(np.float64(2), t32)": (lambda: tg.mul(np.float64(2), t32()), np.float32, [2.0, 4.0]),
}


@pytest.mark.parametrize("case", NUMPY_SCALAR_CASES)
def test_numpy_scalars_act_like_python_numbers(case: str) -> None:
    make, dtype, values = NUMPY_SCALAR_CASES[case]
    out = make()
    assert isinstance(out, tg.Tensor) and out.dtype == dtype
    assert out.tolist() == values
    if out.requires_grad:
        out.sum().backward()   # and the gradient flows back in the tensor's own dtype


@pytest.mark.parametrize("operand", [tg.Value(1.0), "a", None, object(), np.array([tg.Value(1.0)]),
                                     np.array(tg.Value(1.0)), [tg.Value(1.0), 2.0]],
                         ids=["Value", "str", "None", "object", "object array", "0-d object array",
                              "list holding a Value"])
def test_operands_that_are_not_numbers_raise_type_error(operand: Any) -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    combinations = [lambda: x + operand, lambda: x * operand, lambda: x ** operand, lambda: x.maximum(operand),
                    lambda: tg.where(x > 1, x, operand)]
    if operand is not None:   # clamp(min=None) means no lower bound
        combinations.append(lambda: x.clamp(min=operand))
    for combine in combinations:
        with pytest.raises(TypeError):
            combine()
    with pytest.raises(TypeError):
        tg.tensor(operand)


def test_combining_a_tensor_with_a_value_says_how() -> None:
    with pytest.raises(TypeError, match=r"Value.*value\.data"):
        tg.tensor([1.0, 2.0]) * tg.Value(2.0)


def test_python_number_kinds_work_as_operands() -> None:
    from fractions import Fraction
    x = tg.tensor([1.0, 2.0])
    assert (x * Fraction(1, 2)).tolist() == [0.5, 1.0] and (x * Fraction(1, 2)).dtype == np.float64
    assert (x + True).tolist() == [2.0, 3.0]


@pytest.mark.parametrize("combine", [
    lambda t, v: t == v, lambda t, v: t < v, lambda t, v: t @ v, lambda t, v: t.__iadd__(v),
    lambda t, v: t.mul_(v), lambda t, v: t.maximum(v),
], ids=["==", "<", "@", "+=", "mul_", "maximum"])
def test_comparisons_matmul_and_in_place_ops_refuse_a_value(combine):
    t = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="Value"):
        combine(t, tg.Value(1.0))
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_in_place_ops_take_numpy_scalars_as_numbers():
    t = tg.tensor([1.0, 2.0], dtype=tg.float32)
    t *= np.float64(2.0)
    t += np.array(1.0)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), [3.0, 5.0])


# --- float32 stays float32: forward, backward, second order, and what hooks see --------------------

def _setitem(x: Tensor, y: Tensor) -> Tensor:
    z = x * 1
    z[0] = y[1]
    return z


# name: a function of two float32 tensors x, y of shape (3,) (entries in [0.7, 2.1])
FLOAT32_OPS = {
    "x + y": lambda x, y: x + y, "x - y": lambda x, y: x - y, "x * y": lambda x, y: x * y,
    "x / y": lambda x, y: x / y, "x ** y": lambda x, y: x ** y, "x ** 2": lambda x, y: x ** 2,
    "x ** 0.5": lambda x, y: x ** 0.5, "x ** np.float64(2)": lambda x, y: x ** np.float64(2),
    "2.0 ** x": lambda x, y: 2.0 ** x, "np.float64(2) ** x": lambda x, y: np.float64(2) ** x,
    "np.float64(2) * x": lambda x, y: np.float64(2) * x, "x * np.float64(2)": lambda x, y: x * np.float64(2),
    "x / np.array(2.0)": lambda x, y: x / np.array(2.0), "np.array(2.0) - x": lambda x, y: np.array(2.0) - x,
    "-x": lambda x, y: -x, "maximum": lambda x, y: x.maximum(y), "minimum": lambda x, y: x.minimum(y),
    "maximum (ties)": lambda x, y: x.maximum(x.detach() * 1), "maximum(np.float64)": lambda x, y: x.maximum(np.float64(1.0)),
    "where": lambda x, y: tg.where(x > 1.0, x, y), "where(np.float64)": lambda x, y: tg.where(x > 1.0, x, np.float64(3)),
    "exp": lambda x, y: x.exp(), "log": lambda x, y: x.log(), "sin": lambda x, y: x.sin(), "cos": lambda x, y: x.cos(),
    "tanh": lambda x, y: x.tanh(), "sigmoid": lambda x, y: x.sigmoid(), "relu": lambda x, y: x.relu(),
    "abs": lambda x, y: x.abs(), "sqrt": lambda x, y: x.sqrt(), "square": lambda x, y: x.square(),
    "clamp": lambda x, y: x.clamp(0.8, 1.5), "clamp(np.float64)": lambda x, y: x.clamp(np.float64(0.8), np.float64(1.5)),
    "clamp(tensor)": lambda x, y: x.clamp(min=y), "sum": lambda x, y: x.sum(), "mean": lambda x, y: x.mean(),
    "amax": lambda x, y: x.amax(), "amin": lambda x, y: x.amin(0), "max()": lambda x, y: x.max(),
    "min()": lambda x, y: x.min(), "max(dim)": lambda x, y: x.max(0)[0], "var": lambda x, y: x.var(),
    "std": lambda x, y: x.std(), "logsumexp": lambda x, y: x.logsumexp(0), "prod": lambda x, y: x.prod(),
    "softmax": lambda x, y: x.softmax(0), "log_softmax": lambda x, y: x.log_softmax(0),
    "matmul": lambda x, y: x @ y, "outer": lambda x, y: x.outer(y), "einsum": lambda x, y: tg.einsum("i,i->", x, y),
    "reshape": lambda x, y: x.reshape(3, 1), "index": lambda x, y: x[[0, 2]], "cat": lambda x, y: tg.cat([x, y]),
    "stack": lambda x, y: tg.stack([x, y]), "expand": lambda x, y: x[None].expand(2, 3),
    "double().float()": lambda x, y: x.double().float(), "clone": lambda x, y: x.clone(), "setitem": _setitem,
}


@pytest.mark.parametrize("name", FLOAT32_OPS)
def test_float32_stays_float32_through_every_op(name: str) -> None:
    fn = FLOAT32_OPS[name]
    x = tg.tensor([0.7, 1.3, 2.1], dtype=tg.float32, requires_grad=True)
    y = tg.tensor([1.1, 0.9, 1.7], dtype=tg.float32, requires_grad=True)
    seen: list = []
    out = fn(x, y)
    assert out.dtype == np.float32
    out.register_hook(lambda g: seen.append(g.dtype))
    x.register_hook(lambda g: seen.append(g.dtype))
    loss = (out * out).sum()
    first = [g for g in tg.autograd.grad(loss, [x, y], create_graph=True, allow_unused=True) if g is not None]
    assert [g.dtype for g in first] == [np.float32] * len(first)
    for g in first:
        second = tg.autograd.grad(g.sum(), [x, y], allow_unused=True, retain_graph=True)
        assert [h.dtype for h in second if h is not None] == [np.float32] * sum(h is not None for h in second)
    (fn(x, y) ** 2).sum().backward(create_graph=True)   # .grad under create_graph
    assert x.grad.dtype == np.float32
    x.grad = None
    (fn(x, y) ** 2).sum().backward()
    assert x.grad.dtype == np.float32
    assert seen and set(seen) == {np.dtype(np.float32)}
