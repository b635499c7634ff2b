"""Tests of tinygrad_la/ops/elementwise.py: arithmetic, unary functions, clamp, where, maximum, casts.

Every op is checked three ways on inputs drawn with tinygrad_la.testing's strategies (see
tests/ops/helpers.py): its values against NumPy, gradcheck, and gradgradcheck. The ops sit in
tables (name -> tinygrad_la function, NumPy function, inputs), so adding an op is one line.
Then PyTorch's answers at the edges (tensor bounds, special points of pow, rounding division).
"""
from __future__ import annotations

import operator
from functools import partial
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la import Tensor
from tinygrad_la.testing import broadcastable_shapes, distinct_tensors, positive_tensors, tensors

from tests.ops.helpers import SMALL, check


nonzero = partial(tensors, avoid=0.0, margin=0.5)     # denominators: |y| >= 0.5


# --- elementwise: one input ------------------------------------------------------------------------

# name: (tinygrad_la function, NumPy function, input strategy)
UNARY = {
    "neg": (lambda x: -x, np.negative, tensors(SMALL)),
    "neg()": (lambda x: x.neg(), np.negative, tensors(SMALL)),
    "abs": (lambda x: x.abs(), np.abs, tensors(SMALL, avoid=0.0)),
    "abs(x)": (abs, np.abs, tensors(SMALL, avoid=0.0)),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, positive_tensors(SMALL)),
    "exp": (lambda x: x.exp(), np.exp, tensors(SMALL)),
    "log": (lambda x: x.log(), np.log, positive_tensors(SMALL)),
    "sin": (lambda x: x.sin(), np.sin, tensors(SMALL)),
    "cos": (lambda x: x.cos(), np.cos, tensors(SMALL)),
    "tanh": (lambda x: x.tanh(), np.tanh, tensors(SMALL)),
    "sigmoid": (lambda x: x.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), tensors(SMALL)),
    "relu": (lambda x: x.relu(), lambda a: np.maximum(a, 0), tensors(SMALL, avoid=0.0)),
    "clamp(min)": (lambda x: x.clamp(min=-1), lambda a: np.clip(a, -1, None), tensors(SMALL, avoid=-1.0)),
    "clamp(max)": (lambda x: x.clamp(max=1), lambda a: np.clip(a, None, 1), tensors(SMALL, avoid=1.0)),
    "clamp(min, max)": (lambda x: x.clamp(-1, 1), lambda a: np.clip(a, -1, 1), tensors(SMALL, avoid=(-1, 1))),
    "clip(min, max)": (lambda x: x.clip(-2, 3), lambda a: np.clip(a, -2, 3), tensors(SMALL, avoid=(-2, 3))),
    "square": (lambda x: x.square(), np.square, tensors(SMALL)),
    "x ** 2": (lambda x: x ** 2, lambda a: a ** 2, tensors(SMALL)),
    "x ** 3": (lambda x: x ** 3, lambda a: a ** 3, tensors(SMALL)),          # negative bases too
    "x ** 0.5": (lambda x: x ** 0.5, np.sqrt, positive_tensors(SMALL)),
    "x ** -1.5": (lambda x: x ** -1.5, lambda a: a ** -1.5, positive_tensors(SMALL)),
    "2 ** x": (lambda x: 2 ** x, lambda a: 2.0 ** a, tensors(SMALL)),
    "x + 2": (lambda x: x + 2, lambda a: a + 2, tensors(SMALL)),
    "2 + x": (lambda x: 2 + x, lambda a: 2 + a, tensors(SMALL)),
    "x - 2": (lambda x: x - 2, lambda a: a - 2, tensors(SMALL)),
    "2 - x": (lambda x: 2 - x, lambda a: 2 - a, tensors(SMALL)),
    "x * 2": (lambda x: x * 2, lambda a: a * 2, tensors(SMALL)),
    "2 * x": (lambda x: 2 * x, lambda a: 2 * a, tensors(SMALL)),
    "x / 2": (lambda x: x / 2, lambda a: a / 2, tensors(SMALL)),
    "2 / x": (lambda x: 2 / x, lambda a: 2 / a, nonzero(SMALL)),
    "np.exp(x)": (np.exp, np.exp, tensors(SMALL)),                           # through __array_ufunc__
    "clone": (lambda x: x.clone(), np.copy, tensors(SMALL)),
    "double": (lambda x: x.double(), lambda a: a, tensors(SMALL)),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary(name: str, data: st.DataObject) -> None:
    fn, np_fn, inputs = UNARY[name]
    check(fn, np_fn, data.draw(inputs, label="x"))


# --- elementwise: two inputs, broadcast against each other --------------------------------------

def pair(make_x: Callable = tensors, make_y: Callable = tensors) -> Callable:
    """Inputs for a binary op: a tensor from make_x(shape_x) and one from make_y(shape_y)."""
    return lambda shape_x, shape_y: st.tuples(make_x(shape_x), make_y(shape_y))


# name: (tinygrad_la function, NumPy function, inputs(shape_x, shape_y))
BINARY = {
    "add": (operator.add, np.add, pair()),
    "sub": (operator.sub, np.subtract, pair()),
    "mul": (operator.mul, np.multiply, pair()),
    "div": (operator.truediv, np.divide, pair(tensors, nonzero)),
    # y avoids 0: there d/dx x^y is 0 by definition (x^0 is the constant 1), not the smooth limit
    "pow": (operator.pow, np.power, pair(partial(positive_tensors, min_value=0.5, max_value=3),
                                         partial(tensors, min_value=-2, max_value=2, avoid=0.0))),
    "add(alpha=2)": (lambda x, y: x.add(y, alpha=2), lambda a, b: a + 2 * b, pair()),
    "sub(alpha=2)": (lambda x, y: x.sub(y, alpha=2), lambda a, b: a - 2 * b, pair()),
    # no ties between x and y: at a tie maximum has no derivative
    "maximum": (lambda x, y: x.maximum(y), np.maximum, distinct_tensors),
    "minimum": (lambda x, y: x.minimum(y), np.minimum, distinct_tensors),
    "max(x, y)": (lambda x, y: x.max(y), np.maximum, distinct_tensors),
    "min(x, y)": (lambda x, y: tg.min(x, y), np.minimum, distinct_tensors),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary(name: str, data: st.DataObject) -> None:
    fn, np_fn, inputs = BINARY[name]
    shape_x, shape_y = data.draw(broadcastable_shapes(2, max_dims=3, max_side=3), label="shapes")
    check(fn, np_fn, *data.draw(inputs(shape_x, shape_y), label="x, y"))


@given(data=st.data())
def test_where(data: st.DataObject) -> None:
    shape_c, shape_x, shape_y = data.draw(broadcastable_shapes(3, max_dims=3, max_side=3), label="shapes")
    condition = data.draw(tensors(shape_c, requires_grad=False), label="condition") > 0
    x, y = data.draw(tensors(shape_x), label="x"), data.draw(tensors(shape_y), label="y")
    check(lambda x, y: tg.where(condition, x, y), lambda a, b: np.where(condition.numpy(), a, b), x, y)
    check(lambda x, y: x.where(condition, y), lambda a, b: np.where(condition.numpy(), a, b), x, y)
    check(lambda x: tg.where(condition, x, 0.0), lambda a: np.where(condition.numpy(), a, 0.0), x)


# --- casts and copies -----------------------------------------------------------------------------

@given(x=tensors(SMALL))
def test_to_float32_is_forward_only_in_float32(x: Tensor) -> None:
    for y in (x.to(tg.float32), x.float(), x.to(dtype=np.float32)):
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y.numpy(), x.numpy().astype(np.float32))
    (x.to(tg.float32) * 3).sum().backward()
    assert x.grad.dtype == np.float64        # the gradient comes back in the input's dtype
    np.testing.assert_array_equal(x.grad.numpy(), np.full(x.shape, 3.0))


def test_double_casts_float32_up_and_back() -> None:
    x = tg.tensor([1.5, -2.0], dtype=tg.float32, requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, -4.0])
    assert x.to(tg.float32) is x and x.to("cpu") is x


def test_integer_and_bool_casts_never_require_grad() -> None:
    x = tg.tensor([1.5, -2.7], requires_grad=True)
    for y in (x.long(), x.int(), x.bool(), x.to(tg.int64), x.to(dtype=tg.int32), x.type(tg.int16)):
        assert not y.requires_grad and y.grad_fn is None   # a constant, as PyTorch
    assert x.long().tolist() == [1, -2]
    out = x * 2 + x.long()
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]                   # no gradient through the rounding


def test_clone_copies() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(x.numpy(), y.numpy()) and y.grad_fn is not None


@pytest.mark.parametrize("op, name", [(operator.add, "add"), (operator.sub, "sub"), (operator.mul, "mul"),
                                      (operator.truediv, "div"), (tg.maximum, "maximum"),
                                      (lambda x, y: tg.where(x > 0, x, y), "where")])
def test_broadcast_mismatch_names_op_and_both_shapes(op: Callable, name: str) -> None:
    with pytest.raises(RuntimeError) as error:
        op(tg.ones(2, 3), tg.ones(4))
    message = str(error.value)
    assert "(2, 3)" in message and "(4,)" in message and name in message.lower(), message


try:
    import torch
except ImportError:
    torch = None

nan, inf = float("nan"), float("inf")


CLAMP_BOUNDS = {   # (x, min, max): PyTorch's output and the gradients of x, min, max (g = 1, 2, 4, 8)
    "tensor min": (lambda x, lo, hi: x.clamp(min=lo), [0.0, 0.0, 2.0, 3.0],
                   [[0.0, 2.0, 0.0, 8.0], [1.0, 0.0, 4.0, 0.0], None]),
    "tensor min and max": (lambda x, lo, hi: x.clamp(lo, hi), [0.0, 0.0, 1.5, 3.0],
                           [[0.0, 2.0, 0.0, 8.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 4.0, 0.0]]),
    "tensor max": (lambda x, lo, hi: x.clamp(max=hi), [-2.0, 0.0, 1.0, 3.0],
                   [[1.0, 2.0, 4.0, 8.0], None, [0.0, 0.0, 0.0, 0.0]]),
}


@pytest.mark.parametrize("case", CLAMP_BOUNDS)
def test_clamp_with_tensor_bounds_gives_them_gradients(case: str) -> None:
    fn, expected, grads = CLAMP_BOUNDS[case]
    lib_grads = []
    for lib in [tg] + ([torch] if torch is not None else []):
        x, lo, hi = (lib.tensor(v, dtype=lib.float64, requires_grad=True)
                     for v in ([-2.0, 0.0, 1.0, 3.0], [0.0, 0.0, 2.0, 1.0], [1.0, 0.0, 1.5, 3.0]))
        out = fn(x, lo, hi)
        out.backward(lib.tensor([1.0, 2.0, 4.0, 8.0], dtype=lib.float64))
        assert out.tolist() == expected
        lib_grads.append([None if t.grad is None else t.grad.tolist() for t in (x, lo, hi)])
    assert all(g == grads for g in lib_grads)   # ties (x = bound) give g to x, as PyTorch


def test_clamp_with_broadcast_and_crossed_tensor_bounds() -> None:
    x = tg.tensor([-2.0, 0.0, 1.0, 3.0], requires_grad=True)
    lo = tg.tensor(0.5, requires_grad=True)
    x.clamp(min=lo).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0] and lo.grad.item() == 2.0   # summed over the broadcast
    # min > max: the output is max everywhere, and max takes the whole gradient (PyTorch's rule)
    x = tg.tensor([0.0, 5.0, 10.0], requires_grad=True)
    lo, hi = tg.tensor(6.0, requires_grad=True), tg.tensor(4.0, requires_grad=True)
    out = x.clamp(lo, hi)
    out.sum().backward()
    assert out.tolist() == [4.0, 4.0, 4.0]
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and lo.grad.item() == 0.0 and hi.grad.item() == 3.0
    # a bound of the other float dtype promotes, as x + bound would; an integer one does not
    x32 = tg.tensor([1.0, 5.0], dtype=tg.float32)
    assert x32.clamp(tg.tensor([0.5])).dtype == np.float64 and x32.clamp(tg.tensor([2])).dtype == np.float32


# x ** y at PyTorch's special points: x, y, then PyTorch 2.13's first derivatives (dx, dy) and the
# second ones (d(dx)/dx, d(dx)/dy, d(dy)/dx, d(dy)/dy), for a tensor y and for a Python-number y.
POW_POINTS = [
    (0.0, 0.0, [0.0, 0.0], [nan, nan, nan, nan], [0.0], None),
    (0.0, 0.5, [inf, 0.0], [-inf, nan, nan, nan], [inf], [-inf]),
    (0.0, 1.0, [1.0, 0.0], [0.0, 1.0, nan, nan], [1.0], [0.0]),
    (0.0, 2.0, [0.0, 0.0], [2.0, 0.0, nan, nan], [0.0], [2.0]),
    (0.0, -1.0, [-inf, -inf], [inf, inf, inf, inf], [-inf], [inf]),
    (-2.0, 2.0, [-4.0, nan], [2.0, nan, nan, nan], [-4.0], [2.0]),
    (-2.0, 3.0, [12.0, nan], [-12.0, nan, nan, nan], [12.0], [-12.0]),
    (-2.0, 0.5, [nan, nan], [nan, nan, nan, nan], [nan], [nan]),
    (2.0, 0.0, [0.0, 0.6931471805599453], [0.0, 0.0, 0.5, 0.4804530139182014], [0.0], None),
    (1.0, 0.0, [0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0], None),
]


def pow_derivatives(lib: Any, x0: float, y0: float, scalar: bool) -> tuple[list, list]:
    x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
    y = lib.tensor(y0, dtype=lib.float64, requires_grad=True)
    inputs = (x,) if scalar else (x, y)
    first = lib.autograd.grad(x ** y0 if scalar else x ** y, inputs, create_graph=True)
    second = []
    for g in first:
        if g.requires_grad:
            second += [0.0 if s is None else s.item()
                       for s in lib.autograd.grad(g, inputs, allow_unused=True, retain_graph=True)]
    return [g.item() for g in first], second


@pytest.mark.parametrize("x0, y0, first, second, first_scalar, second_scalar", POW_POINTS)
def test_pow_gradients_at_special_points_match_pytorch(x0: float, y0: float, first: list, second: list,
                                                       first_scalar: list, second_scalar: Any) -> None:
    expected = [(first, second, first_scalar, second_scalar)]
    if torch is not None:
        expected.append((*pow_derivatives(torch, x0, y0, False), *pow_derivatives(torch, x0, y0, True)))
    with np.errstate(all="ignore"):   # inf and nan are the answers here
        ours = (*pow_derivatives(tg, x0, y0, False), *pow_derivatives(tg, x0, y0, True))
    for answer in expected:
        for got, want in zip(ours, answer):
            np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want or [], dtype=float), rtol=1e-12)


def test_pow_of_zero_power_and_zero_base_have_gradient_zero() -> None:
    x = tg.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]            # x^0 is the constant 1, even at 0
    y = tg.tensor([0.0, 2.0, -1.0], requires_grad=True)
    (0 ** y).sum().backward()
    assert y.grad.tolist() == [0.0, 0.0, -inf]      # 0^y is constant for y >= 0


def test_integer_to_negative_integer_power_raises_pytorch_error() -> None:
    for base in (tg.tensor([2, 3]), tg.tensor([True]), tg.tensor([2], dtype=tg.uint8)):
        with pytest.raises(RuntimeError, match=r"^Integers to negative integer powers are not allowed\.$"):
            base ** -1
        with pytest.raises(RuntimeError, match="^Integers to negative"):
            base.pow(np.int64(-2))
    assert (tg.tensor([2, 3]) ** -1.0).tolist() == [0.5, 1 / 3]
    # a tensor of exponents: PyTorch truncates 1/x^|y| to an integer
    base = tg.tensor([0, 1, -1, 2, -2, 0, 1, -1, 2, -2])
    exponent = tg.tensor([-1, -1, -1, -1, -1, -2, -2, -2, -2, -2])
    assert (base ** exponent).tolist() == [0, 1, -1, 0, 0, 0, 1, 1, 0, 0]
    assert (2 ** tg.tensor([-1, 1])).tolist() == [0, 2]


def test_div_with_rounding_mode_and_remainder_as_pytorch() -> None:
    x = tg.tensor([3.5, -3.5], requires_grad=True)
    y = tg.tensor([2.0, 2.0], requires_grad=True)
    for mode, expected in (("floor", [1.0, -2.0]), ("trunc", [1.0, -1.0])):
        out = x.div(y, rounding_mode=mode)
        assert out.tolist() == expected and out.requires_grad
        out.backward(tg.tensor([inf, 1.0]))
        assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]   # a step: slope 0
        x.grad = y.grad = None
    assert tg.tensor([7, -7]).div(2, rounding_mode="trunc").tolist() == [3, -3]
    assert tg.tensor([7, -7]).div(2, rounding_mode="floor").tolist() == [3, -4]
    assert tg.div(tg.tensor([7.0]), 2, rounding_mode="floor").tolist() == [3.0]
    with pytest.raises(RuntimeError, match="rounding_mode"):
        x.div(y, rounding_mode="round")
    out = x % y                                      # x - y·floor(x / y): dx = g, dy = -floor(x / y)·g
    out.sum().backward()
    assert out.tolist() == [1.5, 0.5] and x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [-1.0, 2.0]
    assert (7 % tg.tensor([2.0, -2.0])).tolist() == [1.0, -1.0]
