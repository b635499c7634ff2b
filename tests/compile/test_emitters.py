"""The emitter table of tinygrad_la/compile.py: each op kind written out as NumPy text must give the
op's own numbers, bit for bit, forward and backward, in float64 and float32, with broadcasting.

One case per op kind (and a test that every kind in the table has one): a small training step
that uses the op between two parameters, run eagerly and compiled side by side for a few calls on
changing inputs; the compiled program must have inlined the op (no fallback to its forward and
backward) and match the eager losses, gradients and weights exactly.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la.nn import functional as F
from tinygrad_la.ops import elementwise, fused, linalg, reductions

compile_module = importlib.import_module("tinygrad_la.compile")   # tg.compile is the function

# each case: (op classes it exercises, body(x, W, b) -> a tensor whose sum is the loss)
CASES = {
    "add": ((elementwise.Add,), lambda x, W, b: x + b),
    "add number": ((elementwise.Add,), lambda x, W, b: (x * b) + 2.5),
    "sub": ((elementwise.Sub,), lambda x, W, b: x - b * x),
    "rsub": ((elementwise.Rsub,), lambda x, W, b: 1.0 - x * b),
    "mul": ((elementwise.Mul,), lambda x, W, b: x * b),
    "mul broadcast both": ((elementwise.Mul,), lambda x, W, b: (x @ W.T)[:, :1] * b),
    "div": ((elementwise.Div,), lambda x, W, b: (x * b) / (b * b + 1.0)),
    "neg": ((elementwise.Neg,), lambda x, W, b: -(x * b)),
    "exp": ((elementwise.Exp,), lambda x, W, b: (x * b * 0.1).exp()),
    "log": ((elementwise.Log,), lambda x, W, b: (x * x * b * b + 1.0).log()),
    "tanh": ((elementwise.Tanh,), lambda x, W, b: (x * b).tanh()),
    "relu": ((elementwise.ReLU,), lambda x, W, b: (x * b).relu()),
    "square": ((elementwise.PowByNumber,), lambda x, W, b: (x * b) ** 2),
    "cube": ((elementwise.PowByNumber,), lambda x, W, b: (x * b) ** 3),
    "sum": ((reductions.Sum,), lambda x, W, b: (x * b).sum() * b),
    "sum dims": ((reductions.SumDims,), lambda x, W, b: (x * b).sum(0, keepdim=True) * x),
    "sum dims dropped": ((reductions.SumDims,), lambda x, W, b: (x * b).sum(1)),
    "mean": ((reductions.Mean,), lambda x, W, b: (x * b).mean() * b),
    "mean dims": ((reductions.MeanDims,), lambda x, W, b: (x * b).mean(1, keepdim=True) * x),
    "matmul": ((linalg.Mm,), lambda x, W, b: x @ W.T),
    "linear": ((fused.Addmm,), lambda x, W, b: F.linear(x, W, b)),
    "linear without bias": ((fused.LinearNoBias,), lambda x, W, b: F.linear(x, W)),
    "mse": ((fused.SquaredError,), lambda x, W, b: F.mse_loss(F.linear(x, W, b), x * 2)),
    "mse sum": ((fused.SquaredError,), lambda x, W, b: F.mse_loss(x * b, x * 0.5, reduction="sum")),
    "mse none": ((fused.SquaredError,), lambda x, W, b: F.mse_loss(x * b, x * 0.5, reduction="none")),
    "log_softmax": ((reductions.LogSoftmax,), lambda x, W, b: (x * b).log_softmax(1) * x),
    "cross_entropy": ((reductions.LogSoftmax, fused.NegativeLogLikelihood),
                      lambda x, W, b: F.cross_entropy(F.linear(x, W, b), TARGETS)),
    "nll sum": ((fused.NegativeLogLikelihood,),
                lambda x, W, b: F.nll_loss((x @ W.T).log_softmax(1), TARGETS, reduction="sum")),
    "nll none": ((fused.NegativeLogLikelihood,),
                 lambda x, W, b: F.nll_loss((x @ W.T).log_softmax(1), TARGETS, reduction="none")),
}
TARGETS = tg.tensor([0, 2, 1, 2, 0])


def make(dtype, seed=0):
    rng = np.random.default_rng(seed)
    W = tg.tensor(0.5 * rng.standard_normal((4, 4)), dtype=dtype, requires_grad=True)
    b = tg.tensor(rng.standard_normal(4), dtype=dtype, requires_grad=True)
    return W, b


def step_of(body, W, b):
    def step(x):
        W.grad = b.grad = None
        out = body(x, W, b)
        loss = out.sum() if out.ndim else out
        loss.backward()
        with tg.no_grad():
            for p in (W, b):
                if p.grad is not None:
                    p.sub_(0.01 * p.grad)
        return loss
    return step


@pytest.mark.parametrize("dtype", [tg.float64, tg.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_an_inlined_op_gives_the_ops_own_numbers_bit_for_bit(case, dtype):
    kinds, body = CASES[case]
    eager_params, compiled_params = make(dtype), make(dtype)
    eager = step_of(body, *eager_params)
    compiled = tg.compile(step_of(body, *compiled_params))
    rng = np.random.default_rng(1)
    for call in range(4):
        x = tg.tensor(rng.standard_normal((5, 4)), dtype=dtype)
        expected, got = eager(x), compiled(x)
        assert np.array_equal(got._array, expected._array), f"loss, call {call}"
        for p, q in zip(compiled_params, eager_params):
            assert np.array_equal(p._array, q._array) and p.dtype == q.dtype, f"weights, call {call}"
    program = next(iter(compiled.programs.values()))
    fallen = [reason for reason in program.fallbacks if any(reason.startswith(k.__name__ + ":") for k in kinds)]
    assert not fallen, (fallen, compiled.source)
    for kind in kinds:
        assert compile_module.EMITTERS.get(kind) is not None


def test_every_op_kind_in_the_emitter_table_has_a_case():
    covered = {kind for kinds, _ in CASES.values() for kind in kinds}
    missing = [kind.__name__ for kind in compile_module.EMITTERS if kind not in covered]
    assert not missing, f"add a case for {missing}"
