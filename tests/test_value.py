"""Tests for tinygrad_la.value: the scalar Value on the shared engine.

Every op is checked three ways: its forward value against the math module, its first derivative
against central finite differences, and its second derivative (create_graph=True) against finite
differences of the first. Then the chapter's neurons, accumulation, depth and errors.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_la as tg
from tinygrad_la.value import Value, value_grad


def floats(lo: float, hi: float, away_from: float | None = None) -> st.SearchStrategy[float]:
    s = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return s if away_from is None else s.filter(lambda x: abs(x - away_from) > 1e-2)


def central_difference(f, xs: list[float], i: int, h: float = 1e-6) -> float:
    """(f(x + h eᵢ) - f(x - h eᵢ)) / 2h, with f taking and returning floats."""
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def on_floats(op):
    """The op as a float -> float function (through Values, so forward is what gets tested)."""
    return lambda *xs: op(*map(Value, xs)).data


def first_derivative(op, i: int):
    """x -> d op / d xᵢ, computed by backward (used as the function whose derivative we check)."""
    def d(*xs):
        vs = [Value(x) for x in xs]
        return value_grad(op(*vs), [vs[i]])[0]
    return d


# name: (op on Values, the same op on floats from the math module, strategy for each argument)
UNARY = {
    "neg": (lambda a: -a, lambda x: -x, [floats(-5, 5)]),
    "exp": (lambda a: a.exp(), math.exp, [floats(-5, 5)]),
    "log": (lambda a: a.log(), math.log, [floats(0.1, 10)]),
    "tanh": (lambda a: a.tanh(), math.tanh, [floats(-3, 3)]),
    "sigmoid": (lambda a: a.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), [floats(-10, 10)]),
    "relu": (lambda a: a.relu(), lambda x: max(0.0, x), [floats(-5, 5, away_from=0.0)]),
    "cube": (lambda a: a ** 3, lambda x: x ** 3, [floats(-3, 3)]),
    "sqrt": (lambda a: a ** 0.5, math.sqrt, [floats(0.1, 10)]),
    "reciprocal": (lambda a: a ** -1, lambda x: 1 / x, [floats(0.2, 5)]),
    "radd": (lambda a: 2 + a, lambda x: 2 + x, [floats(-5, 5)]),
    "rsub": (lambda a: 2 - a, lambda x: 2 - x, [floats(-5, 5)]),
    "rmul": (lambda a: 2 * a, lambda x: 2 * x, [floats(-5, 5)]),
    "rdiv": (lambda a: 2 / a, lambda x: 2 / x, [floats(0.2, 5)]),
    "rpow": (lambda a: 2 ** a, lambda x: 2 ** x, [floats(-3, 3)]),
    "mul_number": (lambda a: a * 3.5 - 1, lambda x: x * 3.5 - 1, [floats(-5, 5)]),
    "div_number": (lambda a: a / 4 + 0.5, lambda x: x / 4 + 0.5, [floats(-5, 5)]),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda x, y: x + y, [floats(-5, 5), floats(-5, 5)]),
    "sub": (lambda a, b: a - b, lambda x, y: x - y, [floats(-5, 5), floats(-5, 5)]),
    "mul": (lambda a, b: a * b, lambda x, y: x * y, [floats(-5, 5), floats(-5, 5)]),
    "div": (lambda a, b: a / b, lambda x, y: x / y, [floats(-5, 5), floats(0.2, 5)]),
    "pow": (lambda a, b: a ** b, math.pow, [floats(0.1, 3), floats(-2, 2)]),
    "neuron": (lambda w, x: (w * x + 1).tanh(), lambda w, x: math.tanh(w * x + 1),
               [floats(-2, 2), floats(-2, 2)]),
}
OPS = {**UNARY, **BINARY}


@pytest.mark.parametrize("name", OPS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_forward_matches_math(name, data):
    op, reference, args = OPS[name]
    xs = [data.draw(s) for s in args]
    out = op(*map(Value, xs))
    assert isinstance(out, Value) and type(out.data) is float
    assert out.data == pytest.approx(reference(*xs), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", OPS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_first_derivatives_match_finite_differences(name, data):
    op, _, args = OPS[name]
    xs = [data.draw(s) for s in args]
    vs = [Value(x) for x in xs]
    op(*vs).backward()
    for i, v in enumerate(vs):
        assert v.grad == pytest.approx(central_difference(on_floats(op), xs, i), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("name", OPS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_second_derivatives_match_finite_differences(name, data):
    op, _, args = OPS[name]
    xs = [data.draw(s) for s in args]
    vs = [Value(x) for x in xs]
    firsts = value_grad(op(*vs), vs, create_graph=True)
    for i, first in enumerate(firsts):
        assert isinstance(first, Value)
        seconds = value_grad(first, vs)       # row i of the Hessian
        for j, second in enumerate(seconds):
            expected = central_difference(first_derivative(op, i), xs, j, h=1e-5)
            assert second == pytest.approx(expected, rel=1e-4, abs=1e-5), (i, j)


# --- second derivatives in closed form ---------------------------------------------------------

@given(floats(-3, 3))
def test_second_derivative_of_cube_is_6x(x):
    v = Value(x)
    (first,) = value_grad(v ** 3, [v], create_graph=True)
    assert first.data == pytest.approx(3 * x * x)
    assert value_grad(first, [v])[0] == pytest.approx(6 * x)


@given(floats(-3, 3))
def test_second_derivative_of_tanh(x):
    v = Value(x)
    (first,) = value_grad(v.tanh(), [v], create_graph=True)
    t = math.tanh(x)
    assert value_grad(first, [v])[0] == pytest.approx(-2 * t * (1 - t * t), abs=1e-12)


@given(floats(-2, 2), floats(-2, 2))
def test_mixed_partials_of_exp_xy(x, y):
    a, b = Value(x), Value(y)
    da, db = value_grad((a * b).exp(), [a, b], create_graph=True)
    e = math.exp(x * y)
    daa, dab = value_grad(da, [a, b])
    dba, dbb = value_grad(db, [a, b])
    assert dab == pytest.approx(e * (1 + x * y)) and dba == pytest.approx(dab)
    assert daa == pytest.approx(y * y * e) and dbb == pytest.approx(x * x * e)


def test_third_derivative_by_nesting():
    x = Value(1.5)
    (d1,) = value_grad(x ** 4, [x], create_graph=True)
    (d2,) = value_grad(d1, [x], create_graph=True)
    (d3,) = value_grad(d2, [x])
    assert (d1.data, d2.data, d3) == pytest.approx((4 * 1.5 ** 3, 12 * 1.5 ** 2, 24 * 1.5))


def test_backward_create_graph_then_backward_of_the_grad():
    x = Value(2.0)
    (x ** 3).backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value) and first.data == pytest.approx(12.0)
    x.grad = 0.0
    first.backward()
    assert x.grad == pytest.approx(12.0)      # d/dx 3x² = 6x


# --- the chapter's neurons -----------------------------------------------------------------------

def test_chapter_relu_neuron():
    # 23.3 Example 23.1: x = [2, 3], w = [0.5, -1], b = 1 -> z = -1, ReLU(z) = 0
    x1, x2 = Value(2.0, "x1"), Value(3.0, "x2")
    w1, w2 = Value(0.5, "w1"), Value(-1.0, "w2")
    b = Value(1.0, "b")
    z = w1 * x1 + w2 * x2 + b
    h = z.relu()
    assert (z.data, h.data) == (-1.0, 0.0)
    h.backward()
    assert h.grad == 1.0 and z.grad == 0.0    # the neuron is inactive: no gradient gets through
    assert [v.grad for v in (x1, x2, w1, w2, b)] == [0.0] * 5
    z.backward()                               # the score itself: dz/dw = x, dz/dx = w, dz/db = 1
    assert [v.grad for v in (w1, w2, x1, x2, b)] == [2.0, 3.0, 0.5, -1.0, 1.0]


def test_micrograd_tanh_neuron():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert n.grad == pytest.approx(0.5)
    assert x1.grad == pytest.approx(-1.5) and w1.grad == pytest.approx(1.0)
    assert x2.grad == pytest.approx(0.5) and w2.grad == pytest.approx(0.0)


def test_tanh_neuron_written_with_exp_gives_the_same_grads():
    grads = []
    for act in (lambda n: n.tanh(), lambda n: ((2 * n).exp() - 1) / ((2 * n).exp() + 1)):
        x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
        o = act(x1 * w1 + b)
        o.backward()
        grads.append((o.data, x1.grad, w1.grad, b.grad))
    assert grads[0] == pytest.approx(grads[1])


# --- the walk -----------------------------------------------------------------------------------

def test_grads_accumulate_over_two_backward_calls():
    a = Value(3.0)
    (a * a).backward()
    (a * 2).backward()            # a separate graph
    assert a.grad == 6.0 + 2.0
    y = a * a
    a.grad = 0.0
    y.backward()
    y.backward()                  # the same graph again: a Value saves nothing, nothing is freed
    assert a.grad == 12.0 and y.grad == 2.0


def test_shared_subexpressions():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a.grad = 0.0
    c = a * a
    d = c * c + c                 # a⁴ + a²: c feeds two nodes, a feeds c twice
    d.backward()
    assert a.grad == pytest.approx(4 * 27 + 2 * 3)


def test_backward_with_a_seed_gradient():
    a = Value(3.0)
    (a * a).backward(0.5)
    assert a.grad == 3.0


def test_a_100_000_op_chain_has_no_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert y.data == pytest.approx(1.00001 ** 100_000, rel=1e-9)
    assert x.grad == pytest.approx(1.00001 ** 100_000, rel=1e-9)


def test_value_grad_returns_without_accumulating():
    a, b, unused = Value(2.0), Value(5.0), Value(1.0)
    y = a * b + a
    assert value_grad(y, [a, b, unused]) == [6.0, 2.0, 0.0]
    assert value_grad(y, a) == [6.0]
    assert (a.grad, b.grad, y.grad) == (0.0, 0.0, 0.0)
    grads = value_grad(y, [a, unused], create_graph=True)
    assert all(isinstance(g, Value) for g in grads) and [g.data for g in grads] == [6.0, 0.0]


def test_value_grad_rejects_non_values():
    with pytest.raises(TypeError, match="float"):
        value_grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match=r"inputs\[1\] is int"):
        value_grad(Value(1.0), [Value(1.0), 3])


def test_graph_records_ops_and_parents_for_pictures():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    c = a * b
    assert c._op == "*" and c._parents == (a, b)
    assert (a ** 2)._op == "**2" and (a ** 2)._parents == (a,)
    assert c.tanh()._op == "tanh" and c.relu()._op == "ReLU"
    assert a._op == "" and a._parents == ()


# --- numbers, comparisons, repr, errors -----------------------------------------------------------

def test_numbers_mix_with_values():
    a = Value(2.0)
    assert [(a + 1).data, (1 + a).data, (a - 1).data, (1 - a).data] == [3.0, 3.0, 1.0, -1.0]
    assert [(a * 3).data, (3 * a).data, (a / 4).data, (4 / a).data] == [6.0, 6.0, 0.5, 2.0]
    assert [(a ** 3).data, (3 ** a).data] == [8.0, 9.0]
    assert (a + np.float32(0.5)).data == 2.5 and (a * np.int64(2)).data == 4.0
    assert type(Value(np.float64(1.5)).data) is float and Value(3).data == 3.0


def test_comparisons_use_data_and_equality_stays_identity():
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b and not a < b and a < 2 and a > 0.5 and b >= 1
    assert a != b and a == a and len({a, b}) == 2      # identity: Values key dicts and sets
    assert float(a) == 1.0


def test_repr():
    assert repr(Value(-1.0)) == "Value(data=-1.0, grad=0.0)"
    assert repr(Value(-1.0, label="z")) == "Value(data=-1.0, grad=0.0, label='z')"


@pytest.mark.parametrize("bad, name", [("3", "str"), ([1.0, 2.0], "list"), (None, "NoneType"),
                                       (1 + 2j, "complex"), (np.zeros(3), "ndarray")])
def test_value_of_a_non_number_raises_type_error_naming_the_type(bad, name):
    with pytest.raises(TypeError, match=name):
        Value(bad)


def test_arrays_are_pointed_to_tensor():
    with pytest.raises(TypeError, match="Tensor"):
        Value([1.0, 2.0])


ARITHMETIC = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
              "/": lambda a, b: a / b, "**": lambda a, b: a ** b}


@pytest.mark.parametrize("op", ARITHMETIC)
@pytest.mark.parametrize("value_first", [True, False])
def test_value_and_tensor_refuse_to_mix_with_a_type_error_saying_how(op, value_first):
    # not an object-dtype tensor of Values that requires grad: two engines that know nothing of each other
    v, t = Value(1.0), tg.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"\.data"):
        ARITHMETIC[op](v, t) if value_first else ARITHMETIC[op](t, v)


@pytest.mark.parametrize("op", ARITHMETIC)
@pytest.mark.parametrize("scalar", [np.float64(2.0), np.float32(2.0), np.float16(2.0), np.int64(2), np.int32(2),
                                    np.bool_(True)], ids=lambda x: type(x).__name__)
def test_numpy_scalars_act_like_python_numbers_on_either_side(op, scalar):
    number = scalar.item()
    for left in (True, False):
        v, reference = Value(3.0), Value(3.0)
        out = ARITHMETIC[op](scalar, v) if left else ARITHMETIC[op](v, scalar)
        expected = ARITHMETIC[op](number, reference) if left else ARITHMETIC[op](reference, number)
        assert type(out) is Value and type(out.data) is float and out.data == expected.data
        out.backward()
        expected.backward()
        assert v.grad == reference.grad


def test_value_exponents_and_printing_stay_micrograd_compatible():
    a, b = Value(2.0), Value(3.0)
    c = a ** b
    c.backward()
    assert c.data == 8.0 and a.grad == 12.0 and b.grad == pytest.approx(8 * math.log(2), rel=1e-15)
    assert repr(c) == "Value(data=8.0, grad=1.0)" and c._op == "**"
    d = Value(2.0) ** 2
    assert d._op == "**2" and repr(d) == "Value(data=4.0, grad=0.0)"


def test_unsupported_operands_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value(1.0) ** None


def test_sigmoid_is_stable_at_the_far_ends():
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    x = Value(-1000.0)
    x.sigmoid().backward()
    assert x.grad == 0.0


# --- special points: PyTorch's answers -----------------------------------------------------------
# Each op at 0, -0, ±inf, nan, negative bases and overflow, as PyTorch 2.13 computes it on float64
# 0-d tensors (written down from a live run; test_every_op_matches_torch_on_a_grid_of_special_points
# compares the whole grid live). Where Python's floats raise (1/0, 0 ** -1, log 0, exp 1000) or
# go complex ((-8) ** (1/3)), a Value gives inf or nan, as a Tensor would.

inf, nan = math.inf, math.nan
SPECIAL_OPS = {   # name: the op, with a and b Values and n a plain number
    "neg": lambda a: -a, "exp": lambda a: a.exp(), "log": lambda a: a.log(), "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(), "relu": lambda a: a.relu(),
    "a+b": lambda a, b: a + b, "a*b": lambda a, b: a * b, "a/b": lambda a, b: a / b, "a**b": lambda a, b: a ** b,
    "a/n": lambda a, n: a / n, "n/a": lambda n, a: n / a, "a**n": lambda a, n: a ** n, "n**a": lambda n, a: n ** a,
}
SPECIAL_POINTS = [   # (op, its arguments, PyTorch's value, PyTorch's gradients for the Values)
    ("neg", (0.0,), -0.0, (-1.0,)),
    ("neg", (-0.0,), 0.0, (-1.0,)),
    ("neg", (-1.0,), 1.0, (-1.0,)),
    ("neg", (inf,), -inf, (-1.0,)),
    ("neg", (-inf,), inf, (-1.0,)),
    ("neg", (nan,), nan, (-1.0,)),
    ("exp", (0.0,), 1.0, (1.0,)),
    ("exp", (-0.0,), 1.0, (1.0,)),
    ("exp", (-1.0,), 0.36787944117144233, (0.36787944117144233,)),
    ("exp", (inf,), inf, (inf,)),
    ("exp", (-inf,), 0.0, (0.0,)),
    ("exp", (nan,), nan, (nan,)),
    ("log", (0.0,), -inf, (inf,)),
    ("log", (-0.0,), -inf, (-inf,)),
    ("log", (-1.0,), nan, (-1.0,)),
    ("log", (inf,), inf, (0.0,)),
    ("log", (-inf,), nan, (-0.0,)),
    ("log", (nan,), nan, (nan,)),
    ("tanh", (0.0,), 0.0, (1.0,)),
    ("tanh", (-0.0,), -0.0, (1.0,)),
    ("tanh", (-1.0,), -0.7615941559557649, (0.41997434161402614,)),
    ("tanh", (inf,), 1.0, (0.0,)),
    ("tanh", (-inf,), -1.0, (0.0,)),
    ("tanh", (nan,), nan, (nan,)),
    ("sigmoid", (0.0,), 0.5, (0.25,)),
    ("sigmoid", (-0.0,), 0.5, (0.25,)),
    ("sigmoid", (-1.0,), 0.2689414213699951, (0.19661193324148185,)),
    ("sigmoid", (inf,), 1.0, (0.0,)),
    ("sigmoid", (-inf,), 0.0, (0.0,)),
    ("sigmoid", (nan,), nan, (nan,)),
    ("relu", (0.0,), 0.0, (0.0,)),
    ("relu", (-0.0,), -0.0, (0.0,)),
    ("relu", (-1.0,), 0.0, (0.0,)),
    ("relu", (inf,), inf, (1.0,)),
    ("relu", (-inf,), 0.0, (0.0,)),
    ("relu", (nan,), nan, (1.0,)),
    ("exp", (1000.0,), inf, (inf,)),
    ("exp", (-1000.0,), 0.0, (0.0,)),
    ("sigmoid", (1000.0,), 1.0, (0.0,)),
    ("sigmoid", (-1000.0,), 0.0, (0.0,)),
    ("tanh", (1000.0,), 1.0, (0.0,)),
    ("a+b", (inf, -inf), nan, (1.0, 1.0)),
    ("a*b", (0.0, inf), nan, (inf, 0.0)),
    ("a*b", (nan, 2.0), nan, (2.0, nan)),
    ("a/b", (1.0, 0.0), inf, (inf, -inf)),
    ("a/b", (-1.0, 0.0), -inf, (inf, inf)),
    ("a/b", (1.0, -0.0), -inf, (-inf, -inf)),
    ("a/b", (0.0, 0.0), nan, (inf, nan)),
    ("a/b", (nan, 0.0), nan, (inf, nan)),
    ("a/b", (inf, inf), nan, (0.0, nan)),
    ("a/b", (0.0, inf), 0.0, (0.0, -0.0)),
    ("a/b", (1e+300, 1e-300), inf, (9.999999999999999e+299, -inf)),
    ("a**b", (0.0, 0.0), 1.0, (0.0, 0.0)),
    ("a**b", (0.0, 2.0), 0.0, (0.0, 0.0)),
    ("a**b", (0.0, 0.5), 0.0, (inf, 0.0)),
    ("a**b", (0.0, -1.0), inf, (-inf, -inf)),
    ("a**b", (-0.0, -1.0), -inf, (-inf, inf)),
    ("a**b", (0.0, -0.5), inf, (-inf, -inf)),
    ("a**b", (-2.0, 0.5), nan, (nan, nan)),
    ("a**b", (-2.0, 2.0), 4.0, (-4.0, nan)),
    ("a**b", (-2.0, 3.0), -8.0, (12.0, nan)),
    ("a**b", (0.0, nan), nan, (nan, nan)),
    ("a**b", (nan, 0.0), 1.0, (0.0, nan)),
    ("a**b", (1.0, nan), 1.0, (nan, 0.0)),
    ("a**b", (inf, -1.0), 0.0, (-0.0, nan)),
    ("a**b", (-inf, 3.0), -inf, (inf, nan)),
    ("a**b", (10.0, 400.0), inf, (inf, inf)),
    ("a**b", (2.0, -inf), 0.0, (nan, 0.0)),
    ("a**n", (0.0, 0.5), 0.0, (inf,)),
    ("a**n", (0.0, 0), 1.0, (0.0,)),
    ("a**n", (nan, 0), 1.0, (0.0,)),
    ("a**n", (inf, 0), 1.0, (0.0,)),
    ("a**n", (0.0, -1), inf, (-inf,)),
    ("a**n", (-0.0, -1), -inf, (-inf,)),
    ("a**n", (0.0, 2), 0.0, (0.0,)),
    ("a**n", (0.0, 0.25), 0.0, (inf,)),
    ("a**n", (-0.0, 0.5), -0.0, (-inf,)),
    ("a**n", (-inf, 0.5), nan, (nan,)),
    ("a**n", (-0.0, -0.5), -inf, (-inf,)),
    ("a**n", (-8.0, 0.3333333333333333), nan, (nan,)),
    ("a**n", (1e-300, -2), inf, (-inf,)),
    ("a**n", (10.0, 400), inf, (inf,)),
    ("a**n", (nan, 1), nan, (1.0,)),
    ("n**a", (0, 0.0), 1.0, (0.0,)),
    ("n**a", (0, 2.0), 0.0, (0.0,)),
    ("n**a", (0, -1.0), inf, (-inf,)),
    ("n**a", (0, nan), nan, (nan,)),
    ("n**a", (-2.0, 0.5), nan, (nan,)),
    ("n**a", (-2.0, 3.0), -8.0, (nan,)),
    ("n**a", (2, 10000.0), inf, (inf,)),
    ("n**a", (1, nan), 1.0, (0.0,)),
    ("n/a", (1, 0.0), inf, (-inf,)),
    ("n/a", (1, -0.0), -inf, (-inf,)),
    ("n/a", (0, 0.0), nan, (nan,)),
    ("n/a", (0, 1e-300), 0.0, (nan,)),
    ("n/a", (2, inf), 0.0, (-0.0,)),
    ("a/n", (1.0, 0), inf, (inf,)),
    ("a/n", (0.0, 0), nan, (inf,)),
    ("a/n", (-1.0, 0.0), -inf, (inf,)),
]


def special_op(name: str, args: tuple) -> tuple[list[Value], Any]:
    """Values for the arguments that are Values (all but the n of a/n, n/a, a**n, n**a), and the op on them."""
    if name in ("a/n", "a**n"):
        return [Value(args[0])], lambda vs: SPECIAL_OPS[name](vs[0], args[1])
    if name in ("n/a", "n**a"):
        return [Value(args[1])], lambda vs: SPECIAL_OPS[name](args[0], vs[0])
    return [Value(a) for a in args], lambda vs: SPECIAL_OPS[name](*vs)


def run_special(name: str, args: tuple) -> tuple[float, list[float]]:
    """The op's value and the Values' gradients."""
    values, call = special_op(name, args)
    out = call(values)
    out.backward()
    return out.data, [v.grad for v in values]


def same_number(got: float, expected: float, zero_sign: bool = True) -> bool:
    """nan matches nan, infinities and zeros exactly (the sign of a zero too, unless zero_sign is False),
    finite numbers to a few units in the last place (libm's tanh and PyTorch's differ in the last bit)."""
    if math.isnan(expected) or math.isinf(expected) or expected == 0:
        if math.isnan(expected):
            return math.isnan(got)
        return got == expected and (not zero_sign or math.copysign(1, got) == math.copysign(1, expected))
    return math.isclose(got, expected, rel_tol=1e-14)


@pytest.mark.parametrize("name, args, value, grads", SPECIAL_POINTS,
                         ids=[f"{name}{args}" for name, args, _, _ in SPECIAL_POINTS])
def test_ops_at_special_points_give_pytorchs_values_and_gradients(name, args, value, grads):
    got_value, got_grads = run_special(name, args)
    assert same_number(got_value, value), (got_value, value)
    # a gradient's zero sign is not compared: .grad accumulates from +0, so 0 + (-0) is +0
    assert all(same_number(g, e, zero_sign=False) for g, e in zip(got_grads, grads)), (got_grads, grads)


def test_special_points_under_create_graph_give_the_same_gradients_and_never_raise():
    # the derivative table runs on Values there: the same inf/nan answers, and they differentiate again
    for name, args, _, grads in SPECIAL_POINTS:
        values, call = special_op(name, args)
        firsts = value_grad(call(values), values, create_graph=True)
        assert all(same_number(g.data, e, zero_sign=False) for g, e in zip(firsts, grads)), (name, args)
        for first in firsts:
            value_grad(first, values)


@pytest.mark.torch
def test_every_op_matches_torch_on_a_grid_of_special_points(pytorch):
    points = [0.0, -0.0, 1.0, -1.0, 2.0, -2.5, 0.5, inf, -inf, nan, 1000.0, -1000.0, 1e-300]
    numbers = [0, 1, 2, 3, -1, -2, 0.5, -0.5, 2.5, inf, -inf, nan, 0.0, True, np.float32(0.5), np.int64(-1)]
    unary = ["neg", "exp", "log", "tanh", "sigmoid", "relu"]
    cases = [(name, (a,)) for name in unary for a in points]
    cases += [(name, (a, b)) for name in ("a+b", "a*b", "a/b", "a**b") for a in points for b in points]
    cases += [(name, (a, n)) for name in ("a/n", "a**n") for a in points for n in numbers]
    cases += [(name, (n, a)) for name in ("n/a", "n**a") for a in points for n in numbers]
    cases += [("a-b", (a, b)) for a in points for b in points]
    ops = dict(SPECIAL_OPS, **{"a-b": lambda a, b: a - b})

    def kinds(name):
        return {"n/a": (False, True), "n**a": (False, True), "a/n": (True, False), "a**n": (True, False)}.get(name, (True, True))

    def theirs(torch):
        torch_ops = {"neg": lambda x: -x, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
                     "sigmoid": torch.sigmoid, "relu": torch.relu}
        answers = []
        for name, args in cases:
            is_value = kinds(name)[:len(args)]
            tensors = [torch.tensor(float(a), dtype=torch.float64, requires_grad=True) if v else
                       (int(a) if isinstance(a, (bool, np.integer)) else a) for a, v in zip(args, is_value)]
            out = torch_ops[name](*tensors) if name in torch_ops else ops[name](*tensors)
            out.backward()
            answers.append([out.item(), [t.grad.item() for t, v in zip(tensors, is_value) if v]])
        return answers
    wrong = []
    for (name, args), (their_value, expected) in zip(cases, pytorch("values and gradients", theirs)):
        is_value = kinds(name)[:len(args)]
        values = [Value(a) if v else a for a, v in zip(args, is_value)]
        ours = ops[name](*values)
        ours.backward()
        got = [v.grad for v, keep in zip(values, is_value) if keep]
        if not (same_number(ours.data, their_value)
                and all(same_number(g, e, zero_sign=False) for g, e in zip(got, expected))):
            wrong.append((name, args, (ours.data, got), (their_value, expected)))
    assert not wrong, f"{len(wrong)} of {len(cases)} differ from PyTorch, e.g. {wrong[:5]}"


def test_x_to_the_zero_and_zero_to_the_y_differentiate_to_zero():
    # d/dx x**0 = 0 and d/dy 0**y = 0 (y >= 0), where 0 · 0⁻¹ and 0⁰ · log 0 would be nan (PyTorch's rule)
    for x in (0.0, nan, inf):
        v = Value(x)
        (v ** 0).backward()
        assert v.grad == 0.0
    x, y = Value(0.0), Value(0.0)
    (x ** y).backward()
    assert (x.grad, y.grad) == (0.0, 0.0)
    y = Value(0.0)
    (0 ** y).backward()
    assert y.grad == 0.0
    x = Value(0.0)
    (x ** 0.5).backward()
    assert x.grad == inf


def test_small_integer_powers_agree_with_pytorch_to_the_last_bit():
    # PyTorch computes x**3 as x·x·x and x**-2 as 1/(x·x), which differ from C's pow in the last bit
    x = 0.413259793472436
    assert (Value(x) ** 3).data == 0.07057801877932525 and (Value(x) ** -2).data == 5.85536121047215


def test_relu_of_nan_is_nan_with_gradient_passed_through():
    x = Value(nan)
    y = x.relu()
    y.backward()
    assert math.isnan(y.data) and x.grad == 1.0   # PyTorch: relu(nan) = nan, threshold_backward passes g


def test_pow_at_zero_exponent_keeps_second_derivatives():
    # the first derivative is PyTorch's 0 at b = 0; its derivative in b is still a^(b-1)(1 + b log a) = 1/a
    a, b = Value(2.0), Value(0.0)
    da, _ = value_grad(a ** b, [a, b], create_graph=True)
    assert da.data == 0.0 and value_grad(da, [a, b]) == [0.0, 0.5]


def test_pow_with_value_exponent_at_the_edges():
    a, b = Value(0.0), Value(2.0)
    (a ** b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)          # d/db 0ᵇ = 0 for b > 0
    a, b = Value(-2.0), Value(2.0)
    y = a ** b
    y.backward()
    assert y.data == 4.0 and a.grad == -4.0 and math.isnan(b.grad)   # log of a negative base


def test_no_grad_records_nothing_for_values_either():
    a, b = Value(2.0), Value(3.0)
    with tg.no_grad():
        c = a * b + 1
    assert c.data == 7.0 and c._parents == ()
    d = c * a                      # recorded again: c is a constant here
    d.backward()
    assert (a.grad, b.grad, c.grad) == (7.0, 0.0, 2.0)


def test_micrograds_names_let_the_lectures_manual_backprop_run_unchanged():
    # the lecture's example: L = (a·b + c)·f, then ._backward() called node by node
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    assert L._op == "*" and L._prev == {d, f} and e._prev == {a, b} and a._prev == set()
    L.grad = 1.0
    for node in (L, d, e, a):   # a leaf's _backward does nothing
        node._backward()
    assert (a.grad, b.grad, c.grad, d.grad, e.grad, f.grad) == (6.0, -4.0, -2.0, -2.0, -2.0, 4.0)
    # the same numbers from backward()
    for v in (a, b, c, d, e, f):
        v.grad = 0.0
    L.backward()
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    made = Value(5.0, (a, b), "+", label="s")
    assert made._prev == {a, b} and made._op == "+" and made.label == "s"
    with pytest.raises(RuntimeError, match="no derivative rule"):
        made.backward()
    with pytest.raises(TypeError, match="children must be Values"):
        Value(1.0, (2.0,))
