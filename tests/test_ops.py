"""Tests for the differentiable ops: ops.py and the Tensor methods built on it.

Every op is checked three ways on inputs drawn with our own `tinygrad_la.testing` strategies:

    forward      its values against NumPy on the same data;
    gradient     gradcheck: backward against central finite differences;
    2nd order    gradgradcheck: backward is itself differentiated (create_graph=True).

The ops sit in tables (name -> tinygrad_la function, NumPy function, inputs), so adding an op is
one line. Then come the chapter's softmax numbers, the cases a table cannot express
(repeated indices, casts) and the errors an op raises when its inputs do not fit.
"""
from __future__ import annotations

import operator
from functools import partial
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
from tinygrad_la import Tensor, gradcheck, gradgradcheck
from tinygrad_la.testing import (arrays, broadcastable_shapes, dims, distinct_tensors, matmul_shapes,
                                 positive_tensors, shapes, tensors)

# At most 27 entries per input: gradcheck runs two forward passes per entry.
SMALL = shapes(max_dims=3, max_side=3)
NONEMPTY = shapes(min_dims=1, max_dims=3, max_side=3)
nonzero = partial(tensors, avoid=0.0, margin=0.5)     # denominators: |y| >= 0.5


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
    if all(o.numel() for o in (out if isinstance(out, tuple) else (out,))):
        # an empty output (x[0:0]) trips a gradgradcheck bug: see test_gradgradcheck_of_empty_output
        assert gradgradcheck(fn, inputs)


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


# --- matmul: every case NumPy defines -------------------------------------------------------------

MATMUL_CASES = {
    "1-D @ 1-D": ((3,), (3,)),
    "2-D @ 1-D": ((2, 3), (3,)),
    "1-D @ 2-D": ((3,), (3, 2)),
    "2-D @ 2-D": ((2, 3), (3, 4)),
    "N-D @ N-D, broadcast batch": ((2, 1, 2, 3), (3, 3, 2)),
    "1-D @ N-D": ((3,), (2, 3, 2)),
    "N-D @ 1-D": ((2, 2, 3), (3,)),
    "N-D @ 2-D": ((2, 2, 3), (3, 2)),
}


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_CASES.values(), ids=MATMUL_CASES)
@given(data=st.data())
def test_matmul_cases(shape_a: tuple, shape_b: tuple, data: st.DataObject) -> None:
    a, b = data.draw(tensors(shape_a), label="a"), data.draw(tensors(shape_b), label="b")
    check(operator.matmul, np.matmul, a, b)


@given(shape_pair=matmul_shapes(max_batch_dims=2, max_side=3), data=st.data())
def test_matmul_shapes(shape_pair: tuple, data: st.DataObject) -> None:
    a, b = data.draw(tensors(shape_pair[0]), label="a"), data.draw(tensors(shape_pair[1]), label="b")
    check(operator.matmul, np.matmul, a, b)


def test_matmul_spellings_agree() -> None:
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    expected = a.numpy() @ b.numpy()
    for product in (a @ b, a.matmul(b), a.mm(b), tg.matmul(a, b), tg.mm(a, b), np.matmul(a, b)):
        assert_close(product, expected)
    v = tg.randn(3)
    assert_close(v.dot(v), v.numpy() @ v.numpy())


# --- einsum: its backward is an einsum too (so create_graph works) ---------------------------------

# equation: operand shapes
EINSUM_CASES = {
    "ij,jk->ik": ((2, 3), (3, 4)),                     # matrix product
    "ij,jk (implicit output)": ((2, 3), (3, 4)),
    "ji (implicit transpose)": ((2, 3),),
    "ij->j": ((2, 3),),                                # column sums
    "ij->": ((2, 3),),
    "ii->i": ((3, 3),),                                # diagonal
    "ii (trace)": ((3, 3),),
    "iij->j": ((2, 2, 3),),
    "i,j->ij": ((3,), (2,)),                           # outer product
    "i,i->": ((3,), (3,)),                             # dot product
    "bij,bjk->bik": ((2, 2, 3), (2, 3, 2)),            # batched matrix product
    "...ij,...jk->...ik": ((2, 1, 2, 3), (3, 3, 2)),   # broadcast batch dimensions
    "...ij,jk": ((2, 2, 3), (3, 2)),
    "ij,ij->j (broadcast 1)": ((1, 3), (2, 3)),
    "ij,jk,kl->il": ((2, 3), (3, 2), (2, 2)),          # three operands
    "ij,k->ijk": ((1, 2), (3,)),
}


@pytest.mark.parametrize("case", EINSUM_CASES)
@given(data=st.data())
def test_einsum(case: str, data: st.DataObject) -> None:
    equation = case.split(" ")[0]
    xs = [data.draw(tensors(shape), label=f"x{i}") for i, shape in enumerate(EINSUM_CASES[case])]
    check(lambda *xs: tg.einsum(equation, *xs), lambda *arrays: np.einsum(equation, *arrays), *xs)


def test_einsum_spellings_and_errors() -> None:
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    expected = a.numpy() @ b.numpy()
    assert_close(tg.einsum("ij,jk->ik", [a, b]), expected)       # operands as one list
    assert_close(tg.einsum("i j , j k -> i k", a, b), expected)   # spaces are ignored
    with pytest.raises(RuntimeError, match=r"subscript 'j' has size 3 .* and 2"):
        tg.einsum("ij,jk->ik", a, tg.randn(2, 2))
    with pytest.raises(RuntimeError, match="operand 0 has shape"):
        tg.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="'z' .* is not in any operand"):
        tg.einsum("ij->z", a)
    with pytest.raises(ValueError, match="2 operand"):
        tg.einsum("ij,jk->ik", a)


# --- reductions: dim None / int / negative / tuple, keepdim both ways -----------------------------

@st.composite
def with_zeros(draw: Callable, shape: Any = SMALL) -> Tensor:
    """Tensors in [-2, 2] with about a quarter of the entries exactly 0 (prod's hard case)."""
    x = draw(tensors(shape, min_value=-2, max_value=2))
    x.numpy()[draw(arrays(x.shape)) > 5] = 0.0
    return x


def np_logsumexp(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    return np.log(np.exp(a).sum(axis=axis, keepdims=keepdims))


# name: (method, its extra keyword arguments, NumPy function(a, axis, keepdims), inputs)
REDUCTIONS = {
    "sum": ("sum", {}, np.sum, tensors(SMALL)),
    "mean": ("mean", {}, np.mean, tensors(SMALL)),
    "amax": ("amax", {}, np.amax, tensors(SMALL, distinct=True)),      # no ties: a unique maximum
    "amin": ("amin", {}, np.amin, tensors(SMALL, distinct=True)),
    "var": ("var", {}, partial(np.var, ddof=1), tensors(SMALL)),
    "var(correction=0)": ("var", {"correction": 0}, np.var, tensors(SMALL)),
    "var(unbiased=False)": ("var", {"unbiased": False}, np.var, tensors(SMALL)),
    # std = √var: distinct entries keep var away from 0, where √ has no derivative
    "std": ("std", {}, partial(np.std, ddof=1), tensors(SMALL, distinct=True)),
    "std(correction=0)": ("std", {"correction": 0}, np.std, tensors(SMALL, distinct=True)),
    "logsumexp": ("logsumexp", {}, np_logsumexp, tensors(SMALL)),
    "prod": ("prod", {}, np.prod, tensors(SMALL, min_value=-2, max_value=2)),
    "prod (with zeros)": ("prod", {}, np.prod, with_zeros()),
}


def reduced_count(shape: tuple, dim: Any) -> int:
    axes = range(len(shape)) if dim is None else np.atleast_1d(dim)
    return int(np.prod([shape[d] for d in axes]))


@pytest.mark.parametrize("name", REDUCTIONS)
@given(data=st.data())
def test_reduction(name: str, data: st.DataObject) -> None:
    method, kwargs, np_fn, inputs = REDUCTIONS[name]
    x = data.draw(inputs, label="x")
    dim = data.draw(dims(x.ndim), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    if method in ("var", "std"):   # one entry: N - 1 = 0 makes var nan, and √ has no slope at std = 0
        assume(reduced_count(x.shape, dim) > 1)
    reduce = lambda x: getattr(x, method)(dim, keepdim=keepdim, **kwargs)   # noqa: E731  (var's 2nd is unbiased)
    check(reduce, lambda a: np_fn(a, axis=dim, keepdims=keepdim), x)
    # NumPy's spellings are aliases
    assert_close(getattr(x, method)(axis=dim, keepdims=keepdim, **kwargs), reduce(x).numpy())
    assert_close(getattr(x, method)(dim=dim, keepdim=keepdim, **kwargs), reduce(x).numpy())


def test_prod_gradient_at_zeros_is_exact() -> None:
    x = tg.tensor([2.0, 0.0, 3.0, 4.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 24.0, 0.0, 0.0])   # Π of the others
    y = tg.tensor([2.0, 0.0, 3.0, 0.0], requires_grad=True)
    y.prod().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 0.0, 0.0])    # two zeros: all 0


@pytest.mark.parametrize("method, np_value, np_index", [("max", np.max, np.argmax), ("min", np.min, np.argmin)])
@given(data=st.data())
def test_max_min_with_dim_give_values_and_indices(method: str, np_value: Callable, np_index: Callable,
                                                  data: st.DataObject) -> None:
    x, = data.draw(distinct_tensors(NONEMPTY), label="x")
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    keepdim = data.draw(st.booleans(), label="keepdim")
    a = x.numpy()
    for values, indices in (getattr(x, method)(dim, keepdim), getattr(x, method)(axis=dim, keepdims=keepdim)):
        assert_close(values, np_value(a, axis=dim, keepdims=keepdim))
        np.testing.assert_array_equal(indices.numpy(), np_index(a, axis=dim, keepdims=keepdim))
        assert not indices.requires_grad
    assert_close(getattr(x, method)(), np_value(a))
    assert gradcheck(lambda x: getattr(x, method)(dim, keepdim).values, x)
    assert gradgradcheck(lambda x: getattr(x, method)(dim, keepdim).values, x)


def test_max_shares_gradient_among_ties() -> None:
    x = tg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.amax().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, 0.5])


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_with_dim_sends_the_gradient_to_the_returned_index(method: str) -> None:
    # as PyTorch: values are picked at `indices`, so a tie's gradient goes to that entry only
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    sign = 1.0 if method == "max" else -1.0
    values, indices = getattr(x * sign, method)(dim=1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal((values * sign).numpy(), [3.0, 2.0])
    (values * tg.tensor([10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), sign * np.array([[0.0, 10.0, 0.0], [100.0, 0.0, 0.0]]))
    kept, where = getattr(x, method)(dim=0, keepdim=True)
    assert kept.shape == (1, 3) and where.shape == (1, 3)


# --- softmax (chapter 23.13) ----------------------------------------------------------------------

def np_softmax(a: np.ndarray, dim: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


SOFTMAX = {
    "softmax": (lambda x, dim: x.softmax(dim), np_softmax),
    "log_softmax": (lambda x, dim: x.log_softmax(dim), lambda a, dim: np.log(np_softmax(a, dim))),
    "tg.softmax": (lambda x, dim: tg.softmax(x, dim), np_softmax),
    "tg.log_softmax": (lambda x, dim: tg.log_softmax(x, dim), lambda a, dim: np.log(np_softmax(a, dim))),
}


@pytest.mark.parametrize("name", SOFTMAX)
@given(data=st.data())
def test_softmax(name: str, data: st.DataObject) -> None:
    fn, np_fn = SOFTMAX[name]
    x = data.draw(tensors(NONEMPTY), label="x")
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1), label="dim")
    check(lambda x: fn(x, dim), lambda a: np_fn(a, dim), x)


@pytest.mark.parametrize("scores, probabilities", [
    ([1.2, 3.5, 0.7], [0.08635047, 0.86127533, 0.05237421]),
    ([1.0, 2.0, 0.5], [0.2312239, 0.62853172, 0.14024438]),
    ([2.0, 0.5, 1.2, 3.1], [0.21382941, 0.04771179, 0.09607975, 0.64237905]),
])
def test_softmax_chapter_numbers(scores: list, probabilities: list) -> None:
    p = tg.tensor(scores).softmax(dim=0)
    np.testing.assert_allclose(p.numpy(), probabilities, atol=5e-9)
    np.testing.assert_allclose(tg.tensor(scores).log_softmax(0).exp().numpy(), probabilities, atol=5e-9)


def test_softmax_does_not_overflow() -> None:
    p = tg.tensor([1000.0, 1000.0]).softmax(0)
    np.testing.assert_allclose(p.numpy(), [0.5, 0.5])


# --- shapes ---------------------------------------------------------------------------------------

def none(shape: tuple) -> st.SearchStrategy[None]:
    return st.none()


def axis(shape: tuple) -> st.SearchStrategy[int]:
    return st.integers(-len(shape), len(shape) - 1)


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


def boolean_masks(shape: tuple) -> st.SearchStrategy:
    """A mask over the first k dimensions (k >= 1)."""
    return st.integers(1, len(shape)).flatmap(lambda k: arrays(shape[:k]).map(lambda a: a > 0))


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


def test_gradgradcheck_of_empty_output() -> None:
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    assert gradcheck(lambda x: x[0, 0:0], x)
    assert gradgradcheck(lambda x: x[0, 0:0], x)         # its grad_output has no entries
    assert gradcheck(lambda x: x * 2, tg.tensor(np.zeros((0, 2)), requires_grad=True))


def test_getitem_with_tensor_mask() -> None:
    x = tg.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0, 1])


def unique_integer_arrays(shape: tuple) -> st.SearchStrategy:
    """Integer-array indices for dimension 0 without repeats (x[idx] = v with repeats keeps one v)."""
    return st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=shape[0]).filter(
        lambda rows: len({r % shape[0] for r in rows}) == len(rows)).map(lambda rows: np.array(rows))


SET_INDICES = {
    "ints, slices, steps, ..., None": lambda shape: hnp.basic_indices(shape, allow_newaxis=True),
    "integer array (no repeats)": unique_integer_arrays,
    "boolean mask": boolean_masks,
}


@pytest.mark.parametrize("kind", SET_INDICES)
@given(data=st.data())
def test_setitem_inside_a_graph(kind: str, data: st.DataObject) -> None:
    x = data.draw(tensors(NONEMPTY), label="x")
    index = data.draw(SET_INDICES[kind](x.shape), label="index")
    target = x.numpy()[index].shape
    nonempty = [s for s in (target, target[1:]) if 0 not in s]   # gradcheck needs an input with entries
    v = data.draw(tensors(st.sampled_from(nonempty + [()])), label="value")   # v broadcasts to x[index]

    def assign(x: Tensor, v: Tensor) -> Tensor:
        y = x * 1.0          # a non-leaf: a leaf that requires grad cannot be changed in place
        y[index] = v
        return y.sin()       # something after the assignment, so its gradient flows through it

    def np_assign(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a[index] = b
        return np.sin(a)

    check(assign, np_assign, x, v)


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


# --- errors: the message names the problem --------------------------------------------------------

def test_matmul_inner_dims_mismatch_names_both_shapes() -> None:
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(2, 4\)"):
        tg.ones(2, 3) @ tg.ones(2, 4)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4,\)"):
        tg.ones(3) @ tg.ones(4)
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        tg.tensor(2.0) @ tg.ones(3)


@pytest.mark.parametrize("op, name", [(operator.add, "add"), (operator.sub, "sub"), (operator.mul, "mul"),
                                      (operator.truediv, "div"), (tg.maximum, "maximum"),
                                      (lambda x, y: tg.where(x > 0, x, y), "where")])
def test_broadcast_mismatch_names_op_and_both_shapes(op: Callable, name: str) -> None:
    with pytest.raises(RuntimeError) as error:
        op(tg.ones(2, 3), tg.ones(4))
    message = str(error.value)
    assert "(2, 3)" in message and "(4,)" in message and name in message.lower(), message


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


@pytest.mark.parametrize("make", [
    lambda: tg.tensor([1, 2], requires_grad=True),
    lambda: Tensor(np.arange(3), requires_grad=True),
    lambda: tg.tensor([1, 2]).requires_grad_(),
    lambda: tg.tensor([True, False], requires_grad=True),
], ids=["tensor", "Tensor", "requires_grad_", "bool"])
def test_integer_tensor_cannot_require_grad(make: Callable) -> None:
    with pytest.raises(RuntimeError, match=r"(?i)floating point.*dtype (int64|bool)"):
        make()


@pytest.mark.parametrize("chunks", [0, -1])
def test_chunk_needs_a_positive_count(chunks: int) -> None:
    with pytest.raises((ValueError, RuntimeError), match=rf"chunks.*{chunks}"):
        tg.ones(3).chunk(chunks)


def test_setitem_on_a_leaf_that_requires_grad_says_what_to_do() -> None:
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        x[0] = 2.0


# --- PyTorch's answers at the edges ---------------------------------------------------------------
# Each case: a function of float64 tensors, its inputs, and PyTorch 2.13's output and gradients
# (backward with the weights 1, 2, 3, ... over the output). Without torch the written-down answers
# are checked; with it, the live ones as well.

try:
    import torch
except ImportError:
    torch = None

nan, inf = float("nan"), float("inf")


def value_and_grads(lib: Any, fn: Callable, *inputs: Any) -> tuple:
    """fn's output and each input's gradient (backward with weights 1, 2, 3, ...), as lists."""
    xs = [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in inputs]
    out = fn(*xs)
    out = out[0] if isinstance(out, tuple) else out
    out.backward(lib.arange(1.0, out.numel() + 1, dtype=lib.float64).reshape(out.shape))
    return out.tolist(), [None if x.grad is None else x.grad.tolist() for x in xs]


def assert_pytorch_answer(fn: Callable, inputs: tuple, expected_out: Any, expected_grads: list) -> None:
    out, grads = value_and_grads(tg, fn, *inputs)
    answers = [(expected_out, expected_grads)]
    if torch is not None:
        answers.append(value_and_grads(torch, fn, *inputs))
    for want_out, want_grads in answers:
        np.testing.assert_allclose(np.asarray(out, dtype=float), np.asarray(want_out, dtype=float), rtol=1e-12)
        for grad, want in zip(grads, want_grads):
            np.testing.assert_allclose(np.asarray(grad, dtype=float), np.asarray(want, dtype=float), rtol=1e-12)


X23 = [[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]]


@pytest.mark.parametrize("method, value", [("sum", 24.0), ("mean", 4.0), ("amax", 8.0), ("amin", 1.0),
                                           ("var", 6.8), ("std", 2.6076809620810595),
                                           ("logsumexp", 8.151672901181795), ("prod", 1152.0)])
def test_empty_dim_tuple_reduces_every_dim(method: str, value: float) -> None:
    x = tg.tensor(X23, requires_grad=True)
    out = getattr(x, method)(dim=())
    assert out.shape == () and out.item() == pytest.approx(value, rel=1e-14)
    assert getattr(x, method)(dim=(), keepdim=True).shape == (1, 1)
    assert getattr(x, method)(dim=[]).item() == pytest.approx(value, rel=1e-14)
    out.backward()
    whole = tg.tensor(X23, requires_grad=True)
    getattr(whole, method)().backward()
    # the gradient of the whole reduction (PyTorch 2.13's var/std backward gives inf for dim=(), a bug there)
    np.testing.assert_allclose(x.grad.numpy(), whole.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize("method", ["any", "all"])
def test_any_all_with_an_empty_dim_tuple_reduce_nothing_as_pytorch(method: str) -> None:
    x = tg.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert getattr(x, method)(dim=()).tolist() == [[False, True], [True, False]]


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


# nan in, as PyTorch 2.13: (function, inputs, output, gradients)
NAN_CASES = {
    "amax": (lambda x: x.amax(), ([1.0, nan, 3.0],), nan, [[nan, nan, nan]]),
    "amax(dim)": (lambda x: x.amax(1), ([[1.0, nan, 3.0], [1.0, 3.0, 3.0]],), [nan, 3.0],
                  [[[nan, nan, nan], [0.0, 1.0, 1.0]]]),
    "amin(dim)": (lambda x: x.amin(1), ([[1.0, nan, 3.0], [1.0, 1.0, 3.0]],), [nan, 1.0],
                  [[[nan, nan, nan], [1.0, 1.0, 0.0]]]),
    "max()": (lambda x: x.max(), ([1.0, nan, 3.0],), nan, [[0.0, 1.0, 0.0]]),
    "min()": (lambda x: x.min(), ([1.0, nan, nan],), nan, [[0.0, 0.5, 0.5]]),
    "max(dim)": (lambda x: x.max(1), ([[1.0, nan, 3.0], [nan, nan, 3.0]],), [nan, nan],
                 [[[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]]]),
    "min(dim)": (lambda x: x.min(1), ([[1.0, nan, 3.0], [nan, nan, 3.0]],), [nan, nan],
                 [[[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]]]),
    "relu": (lambda x: x.relu(), ([nan, -1.0, 2.0],), [nan, 0.0, 2.0], [[1.0, 0.0, 3.0]]),
    "sigmoid": (lambda x: x.sigmoid(), ([nan, 1.0],), [nan, 0.7310585786300049], [[nan, 0.3932238664829637]]),
    "tanh": (lambda x: x.tanh(), ([nan, 1.0],), [nan, 0.7615941559557649], [[nan, 0.8399486832280523]]),
    "abs": (lambda x: x.abs(), ([nan, -1.0, 0.0],), [nan, 1.0, 0.0], [[0.0, -2.0, 0.0]]),
    "sign * x": (lambda x: x.sign() * x, ([nan, -1.0, 0.0],), [nan, 1.0, 0.0], [[0.0, -2.0, 0.0]]),
    "clamp": (lambda x: x.clamp(0.0, 1.0), ([nan, -1.0, 2.0],), [nan, 0.0, 1.0], [[0.0, 0.0, 0.0]]),
    "clamp(min)": (lambda x: x.clamp(min=0.0), ([nan, -1.0, 2.0],), [nan, 0.0, 2.0], [[0.0, 0.0, 3.0]]),
    "softmax": (lambda x: x.softmax(1), ([[1.0, nan], [1.0, 2.0]],),
                [[nan, nan], [0.26894142136999516, 0.7310585786300049]],
                [[[nan, nan], [-0.19661193324148196, 0.1966119332414816]]]),
    "log_softmax": (lambda x: x.log_softmax(1), ([[1.0, nan], [1.0, 2.0]],),
                    [[nan, nan], [-1.3132616875182228, -0.31326168751822286]],
                    [[[nan, nan], [1.1174100504100344, -1.1174100504100344]]]),
    "logsumexp": (lambda x: x.logsumexp(1), ([[1.0, nan], [1.0, 2.0], [inf, nan]],), [nan, 2.313261687518223, nan],
                  [[[nan, nan], [0.5378828427399901, 1.4621171572600096], [nan, nan]]]),
    "prod": (lambda x: x.prod(), ([nan, 2.0, 0.0],), nan, [[0.0, nan, nan]]),
    "maximum": (lambda x, y: x.maximum(y), ([nan, 1.0, 2.0, nan], [1.0, nan, 2.0, nan]), [nan, nan, 2.0, nan],
                [[1.0, 2.0, 1.5, 4.0], [1.0, 2.0, 1.5, 4.0]]),
    "minimum": (lambda x, y: x.minimum(y), ([nan, 1.0, 2.0, nan], [1.0, nan, 2.0, nan]), [nan, nan, 2.0, nan],
                [[1.0, 2.0, 1.5, 4.0], [1.0, 2.0, 1.5, 4.0]]),
}


@pytest.mark.parametrize("case", NAN_CASES)
def test_nan_inputs_behave_as_in_pytorch(case: str) -> None:
    fn, inputs, out, grads = NAN_CASES[case]
    with np.errstate(invalid="ignore"):
        assert_pytorch_answer(fn, inputs, out, grads)


def test_argmax_and_max_indices_point_at_nan_as_pytorch() -> None:
    x = tg.tensor([[1.0, nan, 3.0], [nan, nan, 3.0]])
    assert x.argmax(1).tolist() == [1, 0] and x.argmin(1).tolist() == [1, 0]
    assert x.argmax().item() == 1 and x.argmin().item() == 1
    assert x.max(1).indices.tolist() == [1, 0] and x.min(1).indices.tolist() == [1, 0]
    assert tg.tensor([nan, -1.0, 0.0, 2.0]).sign().tolist() == [0.0, -1.0, 0.0, 1.0]   # sign(nan) = 0


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


# 0-d tensors: a gradient that sums two 0-d arrays is a NumPy scalar unless kept an array; every
# backward must take either. Each op is used twice on a 0-d float32 w (value 0.8), so its gradient
# is accumulated, then w.grad is checked against 2·f'(0.8).
ZERO_D_OPS = {
    "double": (lambda w: w.double(), 1.0), "float": (lambda w: w.float() * 1, 1.0),
    "exp": (lambda w: w.exp(), np.exp(0.8)), "log": (lambda w: w.log(), 1 / 0.8),
    "sigmoid": (lambda w: w.sigmoid(), 1 / (1 + np.exp(-0.8)) * (1 - 1 / (1 + np.exp(-0.8)))),
    "relu": (lambda w: w.relu(), 1.0), "abs": (lambda w: w.abs(), 1.0), "sqrt": (lambda w: w.sqrt(), 0.5 / np.sqrt(0.8)),
    "clamp": (lambda w: w.clamp(0.0, 1.0), 1.0), "pow": (lambda w: w ** 3, 3 * 0.8 ** 2), "2 ** w": (lambda w: 2.0 ** w, np.log(2) * 2 ** 0.8),
    "maximum": (lambda w: w.maximum(tg.tensor(0.5, dtype=tg.float32)), 1.0),
    "where": (lambda w: tg.where(w > 0, w, 0.0), 1.0), "sum": (lambda w: w.sum(), 1.0), "mean": (lambda w: w.mean(), 1.0),
    "amax": (lambda w: w.amax(), 1.0), "max()": (lambda w: w.max(), 1.0), "max(0)": (lambda w: w.max(0)[0], 1.0),
    "logsumexp": (lambda w: w.logsumexp(0), 1.0), "prod": (lambda w: w.prod(), 1.0), "softmax": (lambda w: w.softmax(0), 0.0),
    "reshape": (lambda w: w.reshape(1, 1)[0, 0], 1.0), "expand": (lambda w: w.expand(2).sum() / 2, 1.0),
    "clone": (lambda w: w.clone(), 1.0), "einsum": (lambda w: tg.einsum(",->", w, w), 1.6),
}


@pytest.mark.parametrize("name", ZERO_D_OPS)
def test_zero_d_gradients_accumulate_through_every_op(name: str) -> None:
    fn, slope = ZERO_D_OPS[name]
    w = tg.tensor(0.8, dtype=tg.float32, requires_grad=True)
    y = fn(w)
    (y + y).backward()
    assert isinstance(w.grad.data, np.ndarray) and w.grad.shape == () and w.grad.dtype == np.float32
    assert w.grad.item() == pytest.approx(2 * slope, rel=1e-6)
    w.grad = None
    g, = tg.autograd.grad(fn(w) * fn(w), w, create_graph=True)   # and under create_graph
    assert g.shape == () and g.dtype == np.float32
