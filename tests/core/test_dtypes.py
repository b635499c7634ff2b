"""Tests of tinygrad_la/core/dtypes.py: PyTorch-named dtypes over NumPy's, and the default float dtype."""
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


@pytest.mark.parametrize("name, legacy", [("float16", "HalfTensor"), ("float32", "FloatTensor"),
                                          ("float64", "DoubleTensor"), ("int8", "CharTensor"),
                                          ("int16", "ShortTensor"), ("int32", "IntTensor"),
                                          ("int64", "LongTensor"), ("uint8", "ByteTensor"), ("bool", "BoolTensor")])
def test_dtypes_print_as_pytorch_and_stand_for_numpy_dtypes(name, legacy):
    d = getattr(tg, name)
    numpy_dtype = np.dtype(np.bool_ if name == "bool" else name)
    assert repr(d) == str(d) == f"tinygrad_la.{name}"
    assert isinstance(d, tg.dtype)
    assert d == numpy_dtype and numpy_dtype == d and d == numpy_dtype.type and d == numpy_dtype.name
    assert hash(d) == hash(numpy_dtype) and {numpy_dtype: 1}[d] == 1
    assert np.dtype(d) == numpy_dtype and np.zeros(2, dtype=d).dtype == numpy_dtype
    assert d.itemsize == numpy_dtype.itemsize and d.is_floating_point == (numpy_dtype.kind == "f")
    t = tg.zeros(2, dtype=d)
    assert t.dtype is d and t.numpy().dtype == numpy_dtype and t.type() == f"tinygrad_la.{legacy}"


def test_dtype_aliases_are_the_same_objects_and_unequal_dtypes_differ():
    assert tg.float is tg.float32 and tg.double is tg.float64 and tg.long is tg.int64 and tg.half is tg.float16
    assert tg.int is tg.int32 and tg.short is tg.int16
    assert tg.float32 != tg.float64 and tg.float32 != np.float64 and tg.float32 != "int64"
    assert (tg.float32 == object()) is False
    assert tg.get_default_dtype() is tg.float64 and str(tg.get_default_dtype()) == "tinygrad_la.float64"
    assert tg.float64.is_signed and not tg.uint8.is_signed and not tg.float32.is_complex


def test_dtypes_pickle_to_the_same_object_and_promote_as_numpy():
    import pickle
    assert pickle.loads(pickle.dumps(tg.float32)) is tg.float32
    assert np.result_type(tg.float32, tg.float64) == np.float64
    assert (tg.ones(2, dtype=tg.float32) + tg.ones(2, dtype=tg.float64)).dtype is tg.float64
