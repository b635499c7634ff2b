"""dtypes by PyTorch's names (they are NumPy's dtypes), the default float dtype, and the one device.

The default is float64 so the chapter's printed numbers reproduce to the last digit;
`set_default_dtype(float32)` switches to PyTorch's default.
"""
from __future__ import annotations

from typing import Any

import numpy as np

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


def is_floating_point(dtype: Any) -> bool:
    return np.dtype(dtype).kind == "f"


class device:
    """``tinygrad_la.device("cpu")``: the only device there is (``tensor.device`` is this one)."""

    def __init__(self, type: Any = "cpu", index: Any = None) -> None:  # noqa: A002
        _check_device(type if index is None else f"{type}:{index}")
        self.type = "cpu"
        self.index = None

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __str__(self) -> str:
        return "cpu"

    def __eq__(self, other: Any) -> bool:
        return str(other) == "cpu"

    def __hash__(self) -> int:
        return hash("cpu")


def _check_device(device: Any) -> None:
    """Accept "cpu" (or a device); anything else raises, saying where the computing happens."""
    name = str(device).split(":")[0]
    if name != "cpu":
        raise RuntimeError(f"device {str(device)!r} is not available: tinygrad_la runs on NumPy, on the "
                           "CPU only. Use device='cpu' (or leave it out).")


cpu = device("cpu")
