"""Tests of tinygrad_la/nn/init.py: gains and fans, the documented scale of each init, reproducibility."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_la as tg
import tinygrad_la.nn as nn
from tinygrad_la.nn import init


# =================================================================================================
# init
# =================================================================================================

def test_calculate_gain_and_fans() -> None:
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init._calculate_fan_in_and_fan_out(tg.zeros(128, 784)) == (784, 128)
    assert init._calculate_fan_in_and_fan_out(tg.zeros(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(tg.zeros(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_init_distributions_have_their_documented_scale() -> None:
    tg.manual_seed(0)
    w = nn.Parameter(tg.zeros(500, 400))
    fan_in, fan_out = 400, 500
    assert init.xavier_uniform_(w) is w
    assert abs(w.numpy().std() - math.sqrt(2 / (fan_in + fan_out))) < 0.01 * math.sqrt(2 / (fan_in + fan_out))
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / (fan_in + fan_out))
    init.xavier_normal_(w, gain=2.0)
    assert w.numpy().std() == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.01)
    init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / fan_out)
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / fan_out), rel=0.01)
    init.uniform_(w, -2, -1)
    assert w.numpy().min() >= -2 and w.numpy().max() < -1
    init.normal_(w, 3.0, 0.5)
    assert w.numpy().mean() == pytest.approx(3.0, abs=0.01)
    assert w.requires_grad and w.is_leaf              # changed under no_grad: still a leaf parameter


def test_deterministic_inits_and_orthogonal() -> None:
    w = nn.Parameter(tg.zeros(3, 4))
    np.testing.assert_array_equal(init.ones_(w).numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.zeros_(w).numpy(), np.zeros((3, 4)))
    np.testing.assert_array_equal(init.constant_(w, 0.5).numpy(), np.full((3, 4), 0.5))
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(3, 4))
    tall = init.orthogonal_(nn.Parameter(tg.zeros(6, 3))).numpy()
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)        # orthonormal columns
    wide = init.orthogonal_(nn.Parameter(tg.zeros(3, 6)), gain=2.0).numpy()
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-12)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(nn.Parameter(tg.zeros(2, 2, 2)))


def test_init_is_reproducible_and_keeps_dtype() -> None:
    w = nn.Parameter(tg.zeros(4, 4, dtype=tg.float32))
    tg.manual_seed(5)
    a = init.kaiming_uniform_(w).numpy().copy()
    tg.manual_seed(5)
    b = init.kaiming_uniform_(w).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert w.dtype == np.float32
