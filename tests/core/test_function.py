"""Tests of tinygrad_la/core/function.py: Function, the extension API, and the nodes it leaves.

User-defined Functions (apply, ctx.save_for_backward, saved_tensors, needs_input_grad,
mark_non_differentiable, non-tensor arguments, double backward), the errors a malformed Function
gets, and the graph nodes (grad_fn names and next_functions) as PyTorch shows them.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import autograd

from tests.helpers import leaf


# =================================================================================================
# the nodes a Function leaves: grad_fn and next_functions
# =================================================================================================

def test_grad_fn_names_and_next_functions_reach_the_leaf():
    x = leaf([1.0, 2.0])
    y = x * 2
    out = y.exp().sum()
    assert y.grad_fn.name() == "MulBackward0"
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))   # as PyTorch prints it
    assert out.grad_fn.name() == "SumBackward0"
    assert x.grad_fn is None

    names, reached_leaf = [], False
    node = out.grad_fn
    while node is not None:
        names.append(node.name())
        parents = [p for p, _ in node.next_functions if p is not None]
        assert len(parents) == 1                 # the constant 2 contributes no node
        parent = parents[0]
        if getattr(parent, "variable", parent) is x:   # PyTorch: AccumulateGrad(.variable=x)
            reached_leaf = True
            break
        node = parent
    assert names == ["SumBackward0", "ExpBackward0", "MulBackward0"]
    assert reached_leaf


def test_next_functions_of_a_binary_op():
    a, b = leaf(1.0), leaf(2.0)
    z = (a * b) + b.exp()
    (left, _), (right, _) = z.grad_fn.next_functions
    assert (left.name(), right.name()) == ("MulBackward0", "ExpBackward0")


# =================================================================================================
# user-defined Functions
# =================================================================================================

class MyExp(tg.Function):
    """e^x with dx = g·e^x, saving the output (backward uses differentiable tensor ops)."""
    calls: list = []

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        MyExp.calls.append(ctx.needs_input_grad)
        return g * out


class ScaledPower(tg.Function):
    """c · x**p with a non-tensor exponent p and a tensor scale c."""

    @staticmethod
    def forward(ctx, x, p, c):
        ctx.save_for_backward(x, c)
        ctx.p = p
        return c * x ** p

    @staticmethod
    def backward(ctx, g):
        x, c = ctx.saved_tensors
        needs_x, needs_p, needs_c = ctx.needs_input_grad
        assert needs_p is False                  # a Python number never needs a gradient
        dx = g * c * ctx.p * x ** (ctx.p - 1) if needs_x else None
        dc = g * x ** ctx.p if needs_c else None
        return dx, None, dc


def test_custom_function_forward_backward_and_saved_tensors():
    MyExp.calls.clear()
    x = leaf([0.5, -1.0])
    y = MyExp.apply(x)
    np.testing.assert_allclose(y.numpy(), np.exp([0.5, -1.0]), rtol=1e-15)
    assert y.requires_grad and y.grad_fn.name().startswith("MyExpBackward")
    parent = y.grad_fn.next_functions[0][0]
    assert getattr(parent, "variable", parent) is x   # PyTorch: AccumulateGrad(.variable=x)
    (y * tg.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, -1.0]) * [1.0, 2.0], rtol=1e-15)
    assert MyExp.calls == [(True,)]


def test_custom_function_forward_does_not_record_and_needs_no_grad_inputs():
    x = tg.tensor([0.5])                         # needs no grad: nothing recorded
    y = MyExp.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    with tg.no_grad():
        assert not MyExp.apply(leaf([0.5])).requires_grad


def test_custom_function_with_a_non_tensor_argument():
    x, c = leaf([0.5, 1.5]), leaf(2.0)
    y = ScaledPower.apply(x, 3, c)
    np.testing.assert_allclose(y.numpy(), 2.0 * np.array([0.5, 1.5]) ** 3, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * 3 * np.array([0.5, 1.5]) ** 2, rtol=1e-15)
    assert c.grad.item() == pytest.approx(0.5 ** 3 + 1.5 ** 3, rel=1e-15)


def test_custom_function_needs_input_grad_reports_which_inputs_want_gradients():
    seen = []

    class Spy(ScaledPower):
        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return ScaledPower.backward(ctx, g)

    x, c = leaf([0.5]), tg.tensor(2.0)           # c does not require grad
    Spy.apply(x, 2, c).sum().backward()
    assert seen == [(True, False, False)]
    np.testing.assert_allclose(x.grad.numpy(), [2.0 * 2 * 0.5])


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    x = leaf([0.3, -0.7, 1.1])
    assert tg.gradcheck(MyExp.apply, (x,))
    assert tg.gradgradcheck(MyExp.apply, (x,))
    c = leaf([0.5, 2.0, -1.0])
    assert tg.gradcheck(lambda t, s: ScaledPower.apply(t, 3, s), (x, c))
    assert tg.gradgradcheck(lambda t, s: ScaledPower.apply(t, 3, s), (x, c))


def test_custom_function_double_backward_values():
    x = leaf([0.3, -0.7])
    g, = autograd.grad(ScaledPower.apply(x, 3, tg.tensor(2.0)).sum(), x, create_graph=True)
    g2, = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 2.0 * 6 * x.numpy(), rtol=1e-14)   # d²(2x³) = 12x


def test_function_forward_must_return_a_tensor():
    class ReturnsArray(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x.numpy() * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(TypeError, match=r"ReturnsArray.forward must return a Tensor.*ndarray"):
        ReturnsArray.apply(leaf([1.0]))


def test_function_backward_returning_too_many_gradients_raises():
    class TooMany(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    with pytest.raises(RuntimeError, match=r"TooMany.backward returned 2 gradients.*1 argument"):
        TooMany.apply(leaf([1.0])).sum().backward()


def test_function_backward_of_the_wrong_shape_raises_naming_the_shapes():
    class BadShape(tg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return tg.ones(5)

    with pytest.raises(RuntimeError, match=r"BadShapeBackward .*\(5,\).*\(2,\)"):
        BadShape.apply(leaf([1.0, 2.0])).sum().backward()


def test_mark_non_differentiable_output_does_not_require_grad():
    class Doubled(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return g

    out = Doubled.apply(leaf([1.0, 2.0]))
    assert not out.requires_grad and out.grad_fn is None
    np.testing.assert_array_equal(out.numpy(), [2.0, 4.0])


def test_a_custom_backward_returning_float64_gives_float32_gradients():
    class Twice(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.double() * 2

    x = tg.tensor([1.0, 1.0], dtype=tg.float32, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.dtype))
    Twice.apply(x).sum().backward()
    assert x.grad.dtype == np.float32 and seen == [np.float32]
    g, = tg.autograd.grad(Twice.apply(x).sum(), x, create_graph=True)
    assert g.dtype == np.float32


def test_a_forward_error_that_is_not_about_shapes_does_not_say_shapes():
    from tinygrad_la.core.function import _forward_error
    error = _forward_error(type("Pow", (), {}), (tg.tensor([1, 2]),), ValueError("Integers to negative "
                                                                                 "integer powers are not allowed."))
    assert "shapes (2,)" in str(error) and "do not fit" not in str(error)
    assert "negative integer powers" in str(error)
