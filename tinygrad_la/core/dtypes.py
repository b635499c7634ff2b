"""dtypes by PyTorch's names, and the default float dtype.

A `dtype` is PyTorch's face on a NumPy dtype: it prints as `tinygrad_la.float32` and has PyTorch's
attributes (`is_floating_point`, `itemsize`), while NumPy takes it anywhere it takes a dtype
(`np.zeros(3, dtype=tinygrad_la.float32)`, through its `.dtype` attribute) and it compares equal to
NumPy's (`tinygrad_la.float32 == np.float32`). The engine itself keeps working with NumPy's dtypes.

The default is float64 so the chapter's printed numbers reproduce to the last digit;
`set_default_dtype(float32)` switches to PyTorch's default.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = ["dtype", "float16", "half", "float32", "float", "float64", "double", "int8", "int16", "short", "int32",
           "int", "int64", "long", "uint8", "bool", "get_default_dtype", "set_default_dtype", "public",
           "default_float", "tensor_type_name"]

# PyTorch's name for each NumPy dtype, and its legacy tensor-type name (x.type())
_NAMES = {"float16": ("float16", "HalfTensor"), "float32": ("float32", "FloatTensor"),
          "float64": ("float64", "DoubleTensor"), "int8": ("int8", "CharTensor"), "int16": ("int16", "ShortTensor"),
          "int32": ("int32", "IntTensor"), "int64": ("int64", "LongTensor"), "uint8": ("uint8", "ByteTensor"),
          "bool": ("bool", "BoolTensor"), "complex64": ("complex64", "ComplexFloatTensor"),
          "complex128": ("complex128", "ComplexDoubleTensor")}


class dtype:
    """A tensor's element type: `tinygrad_la.float32`, ..., standing for the NumPy dtype `.dtype`."""

    __slots__ = ("dtype", "_name")
    dtype: np.dtype
    _name: builtins.str

    def __init__(self, numpy_dtype: Any) -> None:
        self.dtype = np.dtype(numpy_dtype)   # the attribute NumPy reads when given this object as a dtype
        self._name = _NAMES.get(self.dtype.name, (self.dtype.name, ""))[0]

    # --- PyTorch's attributes ------------------------------------------------------------------

    @property
    def is_floating_point(self) -> builtins.bool:
        """True for float16/32/64."""
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> builtins.bool:
        """True for complex dtypes."""
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> builtins.bool:
        """True where negative values are representable."""
        return self.dtype.kind in "fic"

    @property
    def itemsize(self) -> builtins.int:
        """Bytes per element."""
        return self.dtype.itemsize

    # --- NumPy's attributes, for code that treats it as a NumPy dtype ---------------------------

    @property
    def kind(self) -> builtins.str:
        """NumPy's kind letter ('f', 'i', 'u', 'b', 'c')."""
        return self.dtype.kind

    @property
    def name(self) -> builtins.str:
        """NumPy's name ('float32')."""
        return builtins.str(self.dtype.name)

    @property
    def type(self) -> Any:
        """NumPy's scalar type (np.float32)."""
        return self.dtype.type

    @property
    def char(self) -> builtins.str:
        """NumPy's type character."""
        return self.dtype.char

    @property
    def str(self) -> builtins.str:
        """NumPy's array-protocol string ('<f4')."""
        return builtins.str(self.dtype.str)

    # --- equality with NumPy's dtypes, types and names; printing ---------------------------------

    def __eq__(self, other: object) -> builtins.bool:
        if isinstance(other, dtype):
            return self.dtype == other.dtype
        try:
            return builtins.bool(self.dtype == np.dtype(other))   # type: ignore[call-overload]
        except TypeError:
            return NotImplemented

    def __hash__(self) -> builtins.int:
        return hash(self.dtype)   # equal to NumPy's dtype, so either finds the other in a dict

    def __repr__(self) -> builtins.str:
        return f"tinygrad_la.{self._name}"

    def __reduce__(self) -> Any:
        return (public, (self.dtype.name,))


_PUBLIC: dict[np.dtype, dtype] = {}


def public(numpy_dtype: Any) -> dtype:
    """The `dtype` standing for a NumPy dtype (one object per dtype)."""
    key = numpy_dtype if builtins.type(numpy_dtype) is not dtype else numpy_dtype.dtype
    found = _PUBLIC.get(key)
    if found is None:
        found = dtype(key)
        _PUBLIC.setdefault(found.dtype, found)
        found = _PUBLIC[found.dtype]
    return found


float16 = half = public(np.float16)
float32 = float = public(np.float32)
float64 = double = public(np.float64)
int8 = public(np.int8)
int16 = short = public(np.int16)
int32 = int = public(np.int32)
int64 = long = public(np.int64)
uint8 = public(np.uint8)
bool = public(np.bool_)

_default_float = np.dtype(np.float64)


def tensor_type_name(numpy_dtype: np.dtype) -> builtins.str:
    """PyTorch's legacy tensor-type name: ``tinygrad_la.FloatTensor`` for float32, ..."""
    legacy = _NAMES.get(numpy_dtype.name, ("", ""))[1]
    return f"tinygrad_la.{legacy}" if legacy else f"tinygrad_la.{numpy_dtype.name}"


def get_default_dtype() -> dtype:
    """The dtype given to tensors made from Python floats (float64 unless changed)."""
    return public(_default_float)


def default_float() -> np.dtype:
    """The default float dtype as NumPy's dtype (what the engine uses)."""
    return _default_float


def set_default_dtype(d: Any) -> None:
    """Set the dtype of tensors made from Python floats: float32 or float64 (or float16)."""
    global _default_float
    numpy_dtype = np.dtype(d)
    if numpy_dtype.kind != "f":
        raise TypeError(f"set_default_dtype takes a floating point dtype (tinygrad_la.float32 or "
                        f"tinygrad_la.float64); got {public(numpy_dtype)}")
    _default_float = numpy_dtype
