"""Tests of tinygrad_la/core/random.py: manual_seed makes every random draw reproducible."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg


@pytest.mark.parametrize("draw", [
    lambda: tg.rand(5), lambda: tg.randn(2, 3), lambda: tg.randint(0, 1000, (8,)), lambda: tg.randperm(20),
], ids=["rand", "randn", "randint", "randperm"])
def test_manual_seed_reproducibility(draw):
    tg.manual_seed(1234)
    first = draw().numpy().copy()
    then = draw().numpy().copy()
    tg.manual_seed(1234)
    np.testing.assert_array_equal(draw().numpy(), first)     # same seed: same numbers
    np.testing.assert_array_equal(draw().numpy(), then)      # ... and the same sequence
    tg.manual_seed(4321)
    assert not np.array_equal(draw().numpy(), first)         # different seed: different numbers
