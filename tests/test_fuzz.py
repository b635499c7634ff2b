"""Random programs: hypothesis builds op sequences over random broadcastable shapes, and each is
checked twice: its value against the same program run in plain NumPy, its gradients (first and
second order) against central differences with tinygrad_la's own gradcheck.

A program starts from one to three float64 inputs whose shapes broadcast together (drawn with
`tinygrad_la.testing.broadcastable_shapes`), then applies one to six steps. Each step picks an
op and operands from everything computed so far, so results feed later ops, shapes change
(reductions, reshapes, transposes, expands, concatenation, matmul) and broadcasting meets
gradients that must be summed back. Only smooth ops are drawn (no kinks: relu, abs, max), so
finite differences are meaningful everywhere; a step that does not fit its operands' shapes
falls back to tanh. The number of examples is bounded (derandomized in CI, see conftest.py),
so this runs in a few seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
import tinygrad_la.nn.functional as F
from tinygrad_la import gradcheck, gradgradcheck
from tinygrad_la.testing import arrays, broadcastable_shapes


def _np_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_logsumexp(a: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _dim(draw: Any, ndim: int) -> int:
    return draw(st.integers(-max(ndim, 1), max(ndim, 1) - 1))


def _dims(draw: Any, ndim: int) -> Any:
    """None, one dim, or a tuple of dims (non-negative, as NumPy's axis wants)."""
    if ndim == 0:
        return None
    return draw(st.one_of(st.none(), st.integers(0, ndim - 1),
                          st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))


@dataclass(frozen=True)
class Op:
    arity: int
    ours: Callable            # (*tensors, param) -> Tensor
    numpy: Callable           # (*arrays, param) -> array
    param: Callable = lambda draw, shapes: None


OPS: dict[str, Op] = {
    # elementwise, smooth everywhere (and kept bounded: no exp of exp of ...)
    "tanh": Op(1, lambda x, p: x.tanh(), lambda a, p: np.tanh(a)),
    "sigmoid": Op(1, lambda x, p: x.sigmoid(), lambda a, p: 1 / (1 + np.exp(-a))),
    "sin": Op(1, lambda x, p: x.sin(), lambda a, p: np.sin(a)),
    "cos": Op(1, lambda x, p: x.cos(), lambda a, p: np.cos(a)),
    "softplus": Op(1, lambda x, p: F.softplus(x), lambda a, p: np.logaddexp(0, a)),
    "square": Op(1, lambda x, p: x * x, lambda a, p: a * a),
    "neg": Op(1, lambda x, p: -x, lambda a, p: -a),
    "exp(tanh)": Op(1, lambda x, p: x.tanh().exp(), lambda a, p: np.exp(np.tanh(a))),
    "log(1+x²)": Op(1, lambda x, p: (1 + x * x).log(), lambda a, p: np.log1p(a * a)),
    "sqrt(1+x²)": Op(1, lambda x, p: (x * x + 1).sqrt(), lambda a, p: np.sqrt(1 + a * a)),
    "pow 3": Op(1, lambda x, p: x ** 3, lambda a, p: a ** 3),
    "scale": Op(1, lambda x, p: 0.5 * x - 0.25, lambda a, p: 0.5 * a - 0.25),
    # broadcasting binary ops
    "add": Op(2, lambda x, y, p: x + y, lambda a, b, p: a + b),
    "sub": Op(2, lambda x, y, p: x - y, lambda a, b, p: a - b),
    "mul": Op(2, lambda x, y, p: x * y, lambda a, b, p: a * b),
    "x/(1+y²)": Op(2, lambda x, y, p: x / (1 + y * y), lambda a, b, p: a / (1 + b * b)),
    "where": Op(2, lambda x, y, p: tg.where(p, x, y), lambda a, b, p: np.where(p, a, b),
                lambda draw, shapes: draw(hnp.arrays(bool, np.broadcast_shapes(*shapes)))),
    "matmul": Op(2, lambda x, y, p: x @ y, lambda a, b, p: a @ b),
    "cat": Op(2, lambda x, y, p: tg.cat([x, y], p), lambda a, b, p: np.concatenate([a, b], p),
              lambda draw, shapes: _dim(draw, len(shapes[0]))),
    # reductions
    "sum": Op(1, lambda x, p: x.sum(p[0], keepdim=p[1]), lambda a, p: a.sum(axis=p[0], keepdims=p[1]),
              lambda draw, shapes: (_dims(draw, len(shapes[0])), draw(st.booleans()))),
    "mean": Op(1, lambda x, p: x.mean(p[0], keepdim=p[1]), lambda a, p: a.mean(axis=p[0], keepdims=p[1]),
               lambda draw, shapes: (_dims(draw, len(shapes[0])), draw(st.booleans()))),
    "logsumexp": Op(1, lambda x, p: x.logsumexp(p[0], keepdim=p[1]), lambda a, p: _np_logsumexp(a, p[0], p[1]),
                    lambda draw, shapes: (_dims(draw, len(shapes[0])), draw(st.booleans()))),
    "softmax": Op(1, lambda x, p: x.softmax(p), lambda a, p: _np_softmax(a, p),
                  lambda draw, shapes: _dim(draw, len(shapes[0])) if shapes[0] else None),
    "log_softmax": Op(1, lambda x, p: x.log_softmax(p), lambda a, p: np.log(_np_softmax(a, p)),
                      lambda draw, shapes: _dim(draw, len(shapes[0])) if shapes[0] else None),
    # shapes and indexing
    "transpose": Op(1, lambda x, p: x.transpose(*p), lambda a, p: np.swapaxes(a, *p),
                    lambda draw, shapes: (_dim(draw, len(shapes[0])), _dim(draw, len(shapes[0])))),
    "flatten": Op(1, lambda x, p: x.reshape(-1), lambda a, p: a.reshape(-1)),
    "unsqueeze": Op(1, lambda x, p: x.unsqueeze(p), lambda a, p: np.expand_dims(a, p),
                    lambda draw, shapes: _dim(draw, len(shapes[0]) + 1)),
    "expand": Op(1, lambda x, p: x.expand(2, *x.shape), lambda a, p: np.broadcast_to(a, (2,) + a.shape)),
    "first half": Op(1, lambda x, p: x[..., : max(x.shape[-1] // 2, 1)] if x.ndim else x,
                     lambda a, p: a[..., : max(a.shape[-1] // 2, 1)] if a.ndim else a),
    "repeat rows": Op(1, lambda x, p: x[[0, 0, -1]], lambda a, p: a[[0, 0, -1]]),   # repeats add up in backward
}


@dataclass
class Program:
    inputs: list                         # float64 arrays
    steps: list                          # (op name, operand indices, param)
    weight: np.ndarray                   # the output is Σ weight · (last result)

    def run(self, values: list, ours: bool) -> Any:
        pool = list(values)
        for name, operands, param in self.steps:
            op = OPS[name]
            fn = op.ours if ours else op.numpy
            pool.append(fn(*[pool[i] for i in operands], param))
        return (pool[-1] * self.weight).sum()

    def __repr__(self) -> str:
        shapes = [a.shape for a in self.inputs]
        return f"Program(inputs of shapes {shapes}, steps {[(n, o, p) for n, o, p in self.steps]})"


@st.composite
def programs(draw: Any, max_steps: int = 6) -> Program:
    n = draw(st.integers(1, 3))
    shapes = draw(broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=3, max_side=3))
    inputs = [draw(arrays(shape, min_value=-2.0, max_value=2.0)) for shape in shapes]
    pool = [np.zeros(shape) for shape in shapes]      # stand-ins with the right shapes, to plan the steps
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        name = draw(st.sampled_from(sorted(OPS)))
        op = OPS[name]
        operands = tuple(draw(st.integers(0, len(pool) - 1)) for _ in range(op.arity))
        try:
            param = op.param(draw, [pool[i].shape for i in operands])
            result = op.numpy(*[pool[i] for i in operands], param)
        except (ValueError, IndexError, TypeError):   # the op does not fit these shapes: tanh instead
            name, operands, param = "tanh", operands[:1], None
            result = np.tanh(pool[operands[0]])
        steps.append((name, operands, param))
        pool.append(np.asarray(result, dtype=np.float64))
    weight = draw(arrays(pool[-1].shape, min_value=-1.0, max_value=1.0))
    return Program(inputs, steps, weight)


def _value_is_sane(program: Program) -> float:
    with np.errstate(all="ignore"):
        value = float(program.run(program.inputs, ours=False))
    assume(np.isfinite(value) and abs(value) < 1e6)
    return value


@settings(max_examples=300, deadline=None)
@given(programs())
def test_random_program_values_and_gradients(program: Program) -> None:
    expected = _value_is_sane(program)
    xs = [tg.tensor(a.copy(), requires_grad=True) for a in program.inputs]
    out = program.run(xs, ours=True)
    assert out.shape == () and out.dtype == np.float64
    np.testing.assert_allclose(out.item(), expected, rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda *inputs: program.run(list(inputs), ours=True), tuple(xs), atol=1e-5, rtol=1e-4)


@settings(max_examples=60, deadline=None)
@given(programs(max_steps=3))
def test_random_program_second_derivatives(program: Program) -> None:
    _value_is_sane(program)
    xs = [tg.tensor(a.copy(), requires_grad=True) for a in program.inputs]
    assert gradgradcheck(lambda *inputs: program.run(list(inputs), ours=True), tuple(xs), atol=1e-5, rtol=1e-4)


# Every op on its own, on shapes it fits: whatever the random programs happen to draw, each op's
# value, gradient and second derivative are checked at least here.
ALONE = {
    "where": [(2, 3), (3,)], "matmul": [(2, 3), (3, 2)], "cat": [(2, 3), (2, 3)], "transpose": [(2, 3)],
    "repeat rows": [(3, 2)], "softmax": [(2, 3)], "log_softmax": [(2, 3)],
}
ALONE_PARAMS = {"where": np.array([True, False, True]), "cat": 1, "transpose": (0, 1), "softmax": 1,
                "log_softmax": 0, "sum": ((0,), True), "mean": (None, False), "logsumexp": ((1,), False),
                "unsqueeze": 1}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_alone(name: str) -> None:
    rng = np.random.default_rng(7)
    op = OPS[name]
    shapes = ALONE.get(name, [(2, 3)] * op.arity)
    inputs = [rng.uniform(-2, 2, shape) for shape in shapes]
    param = ALONE_PARAMS.get(name)
    result = op.numpy(*inputs, param)
    program = Program(inputs, [(name, tuple(range(op.arity)), param)], rng.uniform(-1, 1, np.shape(result)))
    xs = [tg.tensor(a.copy(), requires_grad=True) for a in inputs]
    np.testing.assert_allclose(program.run(xs, ours=True).item(), program.run(inputs, ours=False), rtol=1e-12)
    assert gradcheck(lambda *t: program.run(list(t), ours=True), tuple(xs))
    assert gradgradcheck(lambda *t: program.run(list(t), ours=True), tuple(xs))
