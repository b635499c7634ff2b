"""Tests of tinygrad_la/ops/fused.py: each fused layer/loss op against the composition it replaces.

Values and gradients must match the composed form, and gradgradcheck must pass; the erf the GELU
uses is checked against math.erf.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_la as tg
import tinygrad_la.nn.functional as F
from tinygrad_la import Tensor, gradcheck, gradgradcheck
from tinygrad_la.testing import tensors

from tests.nn.helpers import CE_OPTIONS, t64


def value_and_grads(fn: Callable, *inputs: Tensor) -> tuple[np.ndarray, list[np.ndarray]]:
    """fn's value and d(sum of fn)/d(each input) as arrays."""
    out = fn(*inputs)
    grads = tg.autograd.grad(out.sum(), list(inputs), allow_unused=True)
    return out.numpy().copy(), [None if g is None else g.numpy() for g in grads]


def assert_same_function(fn: Callable, reference: Callable, *inputs: Tensor, rtol: float = 1e-10) -> None:
    """Two implementations agree in value and gradient on the same inputs."""
    value, grads = value_and_grads(fn, *inputs)
    ref_value, ref_grads = value_and_grads(reference, *inputs)
    np.testing.assert_allclose(value, ref_value, rtol=rtol, atol=1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=rtol, atol=1e-12)


# =================================================================================================
# fused ops against the compositions they replace
# =================================================================================================

@given(st.sampled_from([(3,), (4, 3), (2, 2, 3)]), st.booleans(), st.data())
def test_fused_linear_matches_composed(shape: tuple, with_bias: bool, data: Any) -> None:
    x = data.draw(tensors(shape))
    w = data.draw(tensors((2, 3)))
    b = data.draw(tensors((2,))) if with_bias else None
    fused = (lambda x, w, b: F.linear(x, w, b)) if with_bias else (lambda x, w: F.linear(x, w))
    composed = (lambda x, w, b: x @ w.T + b) if with_bias else (lambda x, w: x @ w.T)
    inputs = (x, w, b) if with_bias else (x, w)
    assert_same_function(fused, composed, *inputs)
    assert gradcheck(fused, inputs)
    assert gradgradcheck(fused, inputs)


def test_fused_linear_with_an_input_that_needs_no_grad() -> None:
    x = t64(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=False)
    w, b = t64(np.ones((2, 3))), t64(np.zeros(2))
    assert gradcheck(lambda w, b: F.linear(x, w, b), (w, b))
    assert gradgradcheck(lambda w, b: F.linear(x, w, b), (w, b))
    assert F.linear(x, w.detach(), b.detach()).grad_fn is None


def composed_cross_entropy(x: Tensor, t: np.ndarray, weight: Any = None, ignore_index: int = -100,
                           reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """The formula of cross_entropy built from core ops, as PyTorch defines it (for (N, C) inputs)."""
    n, c = x.shape
    log_p = x.log_softmax(1)
    kept = t != ignore_index
    safe = np.where(kept, t, 0)
    w = np.ones(c) if weight is None else np.asarray(weight)
    row_weight = w[safe] * kept
    nll = -(log_p[np.arange(n), safe] * row_weight)
    smooth = -(log_p * w).sum(1) * kept
    loss = (1 - label_smoothing) * nll + (label_smoothing / c) * smooth
    if reduction == "mean":
        return loss.sum() / row_weight.sum()
    return loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("options", CE_OPTIONS, ids=lambda o: ",".join(o) or "plain")
def test_fused_cross_entropy_matches_composed_and_passes_gradgradcheck(options: dict) -> None:
    rng = np.random.default_rng(3)
    x = t64(rng.standard_normal((6, 4)) * 3)
    t = np.array([0, 3, 1, 1, 2, 0])
    weight = options.get("weight")
    fused_options = dict(options, weight=None if weight is None else tg.tensor(weight))
    fused = lambda x: F.cross_entropy(x, tg.tensor(t), **fused_options)       # noqa: E731
    assert_same_function(fused, lambda x: composed_cross_entropy(x, t, **options), x)
    assert gradcheck(fused, (x,))
    assert gradgradcheck(fused, (x,))


@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_fused_cross_entropy_matches_composed_on_drawn_shapes(n: int, c: int, data: Any) -> None:
    x = data.draw(tensors((n, c)))
    t = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    assert_same_function(lambda x: F.cross_entropy(x, tg.tensor(t)), lambda x: composed_cross_entropy(x, t), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_mse_matches_composed_and_passes_gradgradcheck(reduction: str) -> None:
    rng = np.random.default_rng(4)
    x, y = t64(rng.standard_normal((5, 2))), t64(rng.standard_normal((5, 2)))
    composed = {"mean": lambda x, y: ((x - y) ** 2).mean(), "sum": lambda x, y: ((x - y) ** 2).sum(),
                "none": lambda x, y: (x - y) ** 2}[reduction]
    fused = lambda x, y: F.mse_loss(x, y, reduction=reduction)                # noqa: E731
    assert_same_function(fused, composed, x, y)
    assert gradcheck(fused, (x, y))
    assert gradgradcheck(fused, (x, y))


def test_fused_ops_free_their_graph_and_refuse_a_second_backward() -> None:
    x = t64(np.ones((2, 3)))
    loss = F.cross_entropy(F.linear(x, t64(np.ones((4, 3)))), tg.tensor([0, 1]))
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_erf_matches_math_erf_to_the_last_digit() -> None:
    grid = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-12, 0.46875, 4.0, 27.0, 40.0, -40.0]])
    expected = np.array([math.erf(v) for v in grid])
    np.testing.assert_allclose(tg.ops.fused._erf(grid), expected, rtol=5e-16, atol=3e-16)
    assert np.isnan(tg.ops.fused._erf(np.array([np.nan]))[0])
    np.testing.assert_array_equal(tg.ops.fused._erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert tg.ops.fused._erf(np.array([0.5], dtype=np.float32)).dtype == np.float32


def test_fused_ops_are_named_apart_from_modules_but_print_pytorchs_node_names() -> None:
    nn, F = tg.nn, tg.nn.functional
    x = tg.randn(4, 3, requires_grad=True)
    z = nn.Linear(3, 2)(x)
    assert z.grad_fn.name() == "AddmmBackward0"          # PyTorch's name for nn.Linear on a batch
    assert nn.MSELoss()(z, tg.zeros(4, 2)).grad_fn.name() == "MseLossBackward0"
    assert F.nll_loss(z.log_softmax(1), tg.tensor([0, 1, 1, 0])).grad_fn.name() == "NllLossBackward0"
    assert type(z.grad_fn).__name__ == "Addmm" and not hasattr(F, "Linear")
