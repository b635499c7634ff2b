"""Tests of tinygrad_la/core/dtypes.py: the default float dtype."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_la as tg


def test_set_default_dtype_switches_python_float_tensors_only():
    tg.set_default_dtype(tg.float32)
    try:
        assert tg.get_default_dtype() == tg.float32
        assert tg.tensor([1.0, 2.0]).dtype == np.float32
        assert tg.tensor(1.5).dtype == np.float32
        for made in (tg.zeros(2), tg.ones(2), tg.full((2,), 1.5), tg.rand(2), tg.randn(2),
                     tg.linspace(0, 1, 3), tg.eye(2), tg.arange(0.0, 1.0, 0.5)):
            assert made.dtype == np.float32, made
        assert tg.tensor(np.array([1.0, 2.0])).dtype == np.float64   # arrays keep their dtype
        assert tg.tensor([1, 2]).dtype == np.int64                   # ints stay int64
        assert tg.arange(3).dtype == np.int64
    finally:
        tg.set_default_dtype(tg.float64)
    assert tg.tensor([1.0]).dtype == np.float64


def test_set_default_dtype_rejects_non_float_dtypes():
    with pytest.raises(TypeError, match=r"floating point.*int64"):
        tg.set_default_dtype(tg.int64)
    assert tg.get_default_dtype() == tg.float64
