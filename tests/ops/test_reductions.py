"""Tests of tinygrad_la/ops/reductions.py: sum, mean, var, std, max/min, prod, logsumexp, softmax.

Every reduction over dim None / int / negative / tuple, keepdim both ways, against NumPy with
gradcheck and gradgradcheck; then ties, zeros, nan and empty dim tuples as PyTorch 2.13 answers.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tinygrad_la as tg
from tinygrad_la import Tensor, gradcheck, gradgradcheck
from tinygrad_la.testing import arrays, dims, distinct_tensors, tensors

from tests.ops.helpers import NONEMPTY, SMALL, assert_close, check


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


def test_mean_is_one_node_with_pytorchs_name_and_the_composed_values() -> None:
    x = tg.tensor(np.random.default_rng(7).standard_normal((3, 4, 5)), requires_grad=True)
    for dim in (None, 1, (0, 2)):
        m = x.mean(dim)
        assert m.grad_fn.name() == ("MeanBackward0" if dim is None else "MeanBackward1")   # x.mean(dim) is PyTorch's MeanBackward1
        composed = x.sum(dim) / (x.numel() // max(m.numel(), 1))
        np.testing.assert_array_equal(m.numpy(), composed.numpy())   # bit for bit: Σ x, then / N
        (g_mean,) = tg.autograd.grad(m.sum(), x)
        (g_composed,) = tg.autograd.grad(composed.sum(), x)
        np.testing.assert_array_equal(g_mean.numpy(), g_composed.numpy())
    assert tg.gradgradcheck(lambda t: (t.mean(1) ** 2).sum(), (x,))


@pytest.mark.torch
def test_a_hook_on_logsumexp_sees_the_second_order_gradient_as_in_pytorch(pytorch):
    # PyTorch's logsumexp backward reads its own output, so a hook on the output fires again when
    # a second backward goes through it; recomputing logsumexp instead would skip the hook
    X = np.random.default_rng(0).standard_normal((2, 3))
    W = np.random.default_rng(1).standard_normal(3)

    def second_order(lib):
        x = lib.tensor(X, requires_grad=True)
        t = x.logsumexp(0)
        t.register_hook(lambda g: g * 2)
        g, = lib.autograd.grad((t * lib.tensor(W)).sum(), x, create_graph=True)
        d2, = lib.autograd.grad((g * g).sum(), x)
        return [g.detach().numpy(), d2.numpy()]
    (g_theirs, d2_theirs), (g_ours, d2_ours) = pytorch("gradients", second_order), second_order(tg)
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-12)
    np.testing.assert_allclose(d2_ours, d2_theirs, rtol=1e-12)
