"""Tests of tinygrad_la/gradcheck.py: gradcheck and gradgradcheck catch wrong derivatives."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import gradcheck, gradgradcheck
from tinygrad_la.gradcheck import GradcheckError

from tests.helpers import leaf


class NumpyBackwardExp(tg.Function):
    """e^x whose backward leaves the graph (through NumPy): fine once, wrong twice."""

    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return tg.tensor(g.numpy() * out.numpy())


def test_gradgradcheck_catches_a_backward_that_leaves_the_graph():
    x = leaf([0.3, -0.7])
    assert tg.gradcheck(NumpyBackwardExp.apply, (x,))             # first order is right ...
    with pytest.raises(GradcheckError, match="gradcheck failed"):
        tg.gradgradcheck(NumpyBackwardExp.apply, (x,))            # ... second order is not
    assert not tg.gradgradcheck(NumpyBackwardExp.apply, (x,), raise_exception=False)


def test_gradcheck_catches_a_wrong_derivative():
    class WrongSquare(tg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * x                           # should be 2·g·x

    with pytest.raises(GradcheckError, match=r"input 0.*analytic gradient.*numeric gradient"):
        tg.gradcheck(WrongSquare.apply, (leaf([1.0, 2.0]),))


def test_gradgradcheck_of_empty_output() -> None:
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    assert gradcheck(lambda x: x[0, 0:0], x)
    assert gradgradcheck(lambda x: x[0, 0:0], x)         # its grad_output has no entries
    assert gradcheck(lambda x: x * 2, tg.tensor(np.zeros((0, 2)), requires_grad=True))
