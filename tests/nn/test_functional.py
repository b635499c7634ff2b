"""Tests of tinygrad_la/nn/functional.py: the activations and other F functions.

Values and gradients at nan and inf as PyTorch 2.13 gives them, float32 in and out, gradcheck,
softplus and logsigmoid far out, one_hot. The losses of F are in tests/nn/test_losses.py.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn.functional as F
from tinygrad_la import gradcheck, gradgradcheck

from tests.nn.helpers import t64


nan, inf = math.nan, math.inf


def np_softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# =================================================================================================
# activations
# =================================================================================================

# PyTorch 2.13 (float64) at x = nan, 1, inf, -inf: (values, gradients). nan stays nan (relu's and
# leaky_relu's gradient at nan is the x > 0 branch's test failing: 1 for relu's threshold, the slope).
_NON_FINITE_ACTIVATIONS = {
    "relu": (F.relu, [nan, 1.0, inf, 0.0], [1.0, 1.0, 1.0, 0.0]),
    "sigmoid": (F.sigmoid, [nan, 0.7310585786300049, 1.0, 0.0], [nan, 0.19661193324148185, 0.0, 0.0]),
    "tanh": (F.tanh, [nan, 0.7615941559557649, 1.0, -1.0], [nan, 0.41997434161402614, 0.0, 0.0]),
    "softplus": (F.softplus, [nan, 1.3132616875182228, inf, 0.0], [nan, 0.7310585786300049, 1.0, 0.0]),
    "logsigmoid": (F.logsigmoid, [nan, -0.31326168751822286, 0.0, -inf], [nan, 0.2689414213699951, 0.0, 1.0]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [nan, 1.0, inf, -inf], [0.2, 1.0, 1.0, 0.2]),
    "gelu": (F.gelu, [nan, 0.841344746068543, inf, nan], [nan, 1.0833154705876864, nan, nan]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [nan, 0.8411919906082768, inf, nan],
                  [nan, 1.0829640838457826, nan, nan]),
}


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # NumPy's note on inf·0; the answer is nan
@pytest.mark.parametrize("name", _NON_FINITE_ACTIVATIONS)
def test_activations_of_nan_and_inf_give_pytorchs_values_and_gradients(name: str) -> None:
    fn, value, grad = _NON_FINITE_ACTIVATIONS[name]
    x = t64([nan, 1.0, inf, -inf])
    out = fn(x)
    out.sum().backward()
    np.testing.assert_allclose(out.numpy(), value, rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-15)
    # the sign of a zero too: logsigmoid(inf) is +0, softplus(-inf) is +0
    zeros = np.array(value) == 0
    assert np.array_equal(np.signbit(out.numpy()[zeros]), np.signbit(np.array(value)[zeros]))


_FLOAT32_OPS = {
    "linear": lambda x: F.linear(x, tg.ones(4, 3, dtype=tg.float32), tg.zeros(4, dtype=tg.float32)),
    "relu": F.relu, "leaky_relu": F.leaky_relu, "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "sigmoid": F.sigmoid, "tanh": F.tanh, "softplus": F.softplus, "softplus_beta": lambda x: F.softplus(x, 2.0, 1.0),
    "logsigmoid": F.logsigmoid, "softmax": lambda x: F.softmax(x, 1), "log_softmax": lambda x: F.log_softmax(x, 1),
    "dropout": lambda x: F.dropout(x, 0.5), "cross_entropy": lambda x: F.cross_entropy(x, tg.tensor([0, 2])),
    "cross_entropy_weighted": lambda x: F.cross_entropy(x, tg.tensor([0, -100]), weight=tg.tensor([1.0, 2.0, 3.0]),
                                                        label_smoothing=0.1),
    "cross_entropy_soft": lambda x: F.cross_entropy(x, tg.full((2, 3), 1 / 3, dtype=tg.float32)),
    "nll_loss": lambda x: F.nll_loss(x, tg.tensor([0, 2]), weight=tg.tensor([1.0, 2.0, 3.0])),
    "nll_loss_none": lambda x: F.nll_loss(x, tg.tensor([0, -100]), reduction="none"),
    "mse_loss": lambda x: F.mse_loss(x, tg.zeros(2, 3, dtype=tg.float32)),
    "l1_loss": lambda x: F.l1_loss(x, tg.zeros(2, 3, dtype=tg.float32)),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(x.sigmoid(), tg.ones(2, 3, dtype=tg.float32)),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, tg.ones(2, 3, dtype=tg.float32), pos_weight=tg.ones(3, dtype=tg.float32)),
    "embedding": None,
}


@pytest.mark.parametrize("name", _FLOAT32_OPS)
def test_functional_ops_on_float32_give_float32_values_and_gradients(name: str) -> None:
    if name == "embedding":
        x = tg.tensor(np.ones((5, 3), dtype=np.float32), requires_grad=True)
        out = F.embedding(tg.tensor([0, 4, 4]), x)
    else:
        x = tg.tensor(np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.25]], dtype=np.float32), requires_grad=True)
        out = _FLOAT32_OPS[name](x)
    out.sum().backward()
    assert out.dtype == tg.float32 and x.grad.dtype == tg.float32, (out.dtype, x.grad.dtype)


@pytest.mark.parametrize("fn", [F.leaky_relu, F.gelu, lambda x: F.gelu(x, approximate="tanh"), F.softplus,
                                lambda x: F.softplus(x, beta=2.0, threshold=3.0), F.logsigmoid, F.sigmoid, F.tanh],
                         ids=["leaky_relu", "gelu", "gelu_tanh", "softplus", "softplus_beta", "logsigmoid", "sigmoid",
                              "tanh"])
def test_activation_gradients(fn: Callable) -> None:
    x = t64([-3.3, -1.2, -0.4, 0.3, 0.9, 2.2, 5.1])
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_softplus_and_logsigmoid_stay_finite_far_out() -> None:
    x = t64([-800.0, -40.0, 40.0, 800.0])
    np.testing.assert_allclose(F.softplus(x, threshold=np.inf).numpy(), np_softplus(x.numpy()), rtol=1e-15)
    logsig = F.logsigmoid(x)
    np.testing.assert_allclose(logsig.numpy(), -np_softplus(-x.numpy()), rtol=1e-15)
    logsig.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, math.exp(-40), 0.0], rtol=1e-12)
    assert F.softplus(t64([30.0])).item() == 30.0         # above the threshold: x itself, as PyTorch


def test_one_hot() -> None:
    out = F.one_hot(tg.tensor([0, 2, 1]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(tg.tensor([[1], [0]]), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="class value 3 is too large for num_classes=3"):
        F.one_hot(tg.tensor([3]), 3)
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(tg.tensor([-1]))
    with pytest.raises(TypeError, match="index tensors"):
        F.one_hot(tg.tensor([1.0]))
