"""Making tensors: from data, filled with constants, ranges, and random numbers.

Random numbers come from the library's one generator (core/random.py), so `manual_seed(s)` makes
`rand`, `randn`, `randint`, `randperm` and everything built on them (nn.init, shuffling)
reproducible.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .core import dtypes
from .core.device import _check_device
from .core.engine import _mode
from .core.random import generator as _generator
from .core.random import sample_multinomial
from .core.tensor_base import _as_array
from .ops.movement import _shape_arg
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like",
           "empty_like", "full_like", "rand_like", "randn_like", "arange", "linspace", "eye", "rand", "randn",
           "randint", "randperm", "multinomial"]


def _finish(array: np.ndarray, requires_grad: bool, device: Any, source: Any = None) -> Tensor:
    if device is not None:
        _check_device(device)
    t = Tensor._make(array, None)
    if requires_grad:
        t.requires_grad = True
    if _mode.tracer is not None: _mode.tracer.created(t, source)
    return t


def _float_dtype(dtype: Any) -> np.dtype:
    return dtypes.default_float() if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (Python floats become the default float dtype)."""
    array = _as_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) and array is (data._array if isinstance(data, Tensor) else data):
        array = array.copy()
    return _finish(array, requires_grad, device, data)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor sharing memory with `data` when it is already an array of that dtype."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return _finish(_as_array(data, dtype), False, device, data)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray; got {type(array).__name__}")
    return _finish(array, False, None, array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of 0s of the given size (the default float dtype unless dtype says otherwise)."""
    return _finish(np.zeros(_shape_arg(size), _float_dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of 1s of the given size."""
    return _finish(np.ones(_shape_arg(size), _float_dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size (here filled with 0s, so its values are never garbage)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of the given size filled with `fill_value` (of its dtype unless dtype says otherwise)."""
    if dtype is None:
        dtype = _as_array(fill_value).dtype
    return _finish(np.full(_shape_arg((size,)), fill_value, dtype), requires_grad, device)


def zeros_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """0s in the shape (and dtype) of `t`."""
    return _finish(np.zeros(np.shape(t), dtype or _dtype_of(t)), requires_grad, device)


def ones_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """1s in the shape (and dtype) of `t`."""
    return _finish(np.ones(np.shape(t), dtype or _dtype_of(t)), requires_grad, device)


def empty_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor in the shape (and dtype) of `t`, filled with 0s."""
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` in the shape (and dtype) of `t`."""
    return _finish(np.full(np.shape(t), fill_value, dtype or _dtype_of(t)), requires_grad, device)


def rand_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) in the shape (and float dtype) of t."""
    return rand(np.shape(t), dtype=dtype or _dtype_of(t), device=device, requires_grad=requires_grad)


def randn_like(t: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples in the shape (and float dtype) of t."""
    return randn(np.shape(t), dtype=dtype or _dtype_of(t), device=device, requires_grad=requires_grad)


def _dtype_of(t: Any) -> np.dtype:
    return t.dtype if hasattr(t, "dtype") else _as_array(t).dtype


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... below end (int64 for whole-number arguments, as PyTorch)."""
    if end is None:
        start, end = 0, start
    array = np.arange(start, end, step)
    if dtype is not None:
        array = array.astype(dtype)
    elif array.dtype.kind == "f":
        array = array.astype(dtypes.default_float())
    return _finish(array, requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix I (m = n by default)."""
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: Any = None) -> Tensor:
    """Uniform samples on [0, 1)."""
    rng = _generator(generator)
    return _finish(rng.random(_shape_arg(size)).astype(_float_dtype(dtype), copy=False), requires_grad, device)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: Any = None) -> Tensor:
    """Standard normal samples."""
    rng = _generator(generator)
    return _finish(rng.standard_normal(_shape_arg(size)).astype(_float_dtype(dtype), copy=False),
                   requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = None, device: Any = None,
            generator: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``
    (int64 unless dtype says otherwise)."""
    if high is None:
        low, high = 0, low
    elif size is None and isinstance(high, (tuple, list)):   # randint(high, size)
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint needs a size: randint(high, size) or randint(low, high, size), e.g. "
                        "randint(0, 10, (3,))")
    rng = _generator(generator)
    array = np.asarray(rng.integers(low, high, size=_shape_arg((size,)), dtype=np.int64))
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return _finish(array, requires_grad, device)


def randperm(n: int, dtype: Any = None, device: Any = None,
             generator: Any = None) -> Tensor:
    """A random permutation of 0..n-1."""
    rng = _generator(generator)
    return _finish(rng.permutation(n).astype(dtype or np.int64), False, device)



def multinomial(input: Any, num_samples: int, replacement: bool = False, *, generator: Any = None,
                out: Any = None) -> Tensor:
    """Indices drawn from the rows of `input`, non-negative weights (C,) or (N, C) that need not sum
    to 1: each draw picks index i with probability wᵢ / Σ w; without replacement an index at most
    once per row. int64, of shape (num_samples,) or (N, num_samples)."""
    if out is not None:
        raise TypeError("multinomial: out= is not supported; use the returned tensor")
    weights = np.asarray(input._array if isinstance(input, Tensor) else input)
    return _finish(sample_multinomial(weights, num_samples, replacement, generator), False, None)
