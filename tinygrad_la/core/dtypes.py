"""dtypes by PyTorch's names (they are NumPy's dtypes), and the default float dtype.

The default is float64 so the chapter's printed numbers reproduce to the last digit;
`set_default_dtype(float32)` switches to PyTorch's default.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["float16", "half", "float32", "float", "float64", "double", "int8", "int16", "short", "int32", "int",
           "int64", "long", "uint8", "bool", "get_default_dtype", "set_default_dtype"]

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)

_default_float = float64


def get_default_dtype() -> np.dtype:
    """The dtype given to tensors made from Python floats (float64 unless changed)."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of tensors made from Python floats: float32 or float64 (or float16)."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype takes a floating point dtype (float32 or float64); got {dtype}")
    _default_float = dtype
