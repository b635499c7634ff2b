"""Tensor's reductions: sum, mean, max/min, var/std, logsumexp, prod, softmax, with PyTorch's arguments.

A reduction combines the entries along some dimensions (`dim`: an int, a tuple, or None for all;
NumPy's `axis`/`keepdims` spellings are accepted too) into one. The differentiable ones are the
ops in reductions.py; mean, var, std are composed from them. Tensor inherits these from `_Reductions`.
"""
from __future__ import annotations

import builtins
import functools
from typing import Any, Callable

import numpy as np

from .engine import _mode
from .tensor_shapes import Shape, _dim

# Tensor (which is built on this class, so this file loads first) and ops (which need Tensor) are
# bound here by tensor.py once they exist: see its last lines.
Tensor: Any = None
_ops: Any = None


class _Reductions:
    """Tensor's reductions and softmax (see tensor.py for the class itself)."""

    __slots__ = ()

    # --- reductions ----------------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None, axis: Any = None,
            keepdims: Any = None) -> Tensor:
        """Sum over `dim` (an int, a tuple, or None or () for all), computed in `dtype` if given;
        ``axis``/``keepdims`` are accepted too."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return _ops.Sum.apply(self if dtype is None else self.to(dtype), dims, keep)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """Σ x / N over `dim` (an int, a tuple, or None or () for all), computed in `dtype` if given."""
        if dtype is not None:
            return self.to(dtype).mean(dim, keepdim, axis=axis, keepdims=keepdims)
        if self.data.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {self.dtype}; convert it first, e.g. x.double(), "
                               "or pass dtype=")
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        count = _count(self.shape, dims)
        return _ops.Sum.apply(self, dims, keep) / count if count else _ops.Sum.apply(self, dims, keep) * np.nan

    def amax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """Largest value over `dim`; ties share the gradient equally."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        _nonempty(self, dims, "amax")
        return _ops.Max.apply(self, dims, keep)

    def amin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        _nonempty(self, dims, "amin")
        return -_ops.Max.apply(-self, dims, keep)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        """The largest value; with an int `dim`, a ``(values, indices)`` pair as PyTorch returns."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None and axis is None:
            _nonempty(self, None, "max")
            return _ops.Max.apply(self, None, False, True)   # nan wins, its entries share g
        return _selected(self, np.argmax, dim if dim is not None else axis, keepdim or builtins.bool(keepdims))

    def min(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None and axis is None:
            _nonempty(self, None, "min")
            return -_ops.Max.apply(-self, None, False, True)
        return _selected(self, np.argmin, dim if dim is not None else axis, keepdim or builtins.bool(keepdims))

    def argmax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Tensor:
        """Index of the largest value (of the flattened tensor when dim is None); no gradient."""
        return _arg_reduce(np.argmax, self, dim if dim is not None else axis, keepdim)

    def argmin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Tensor:
        return _arg_reduce(np.argmin, self, dim if dim is not None else axis, keepdim)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: builtins.bool = False, *,
            correction: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
        """Variance Σ (x - mean)² / (N - correction), correction 1 by default, as PyTorch; both of its
        forms: var(dim, unbiased, keepdim) (unbiased=False: correction 0) and var(dim, *, correction,
        keepdim); var(False) alone is var(unbiased=False)."""
        dim, correction = _variance_args("var", dim, unbiased, correction)
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        deviation = self - self.mean(dims, keepdim=True)
        return (deviation * deviation).sum(dims, keep) / builtins.max(_count(self.shape, dims) - correction, 0)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: builtins.bool = False, *,
            correction: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
        """√var, with var's arguments; the gradient is 0 where the std is 0 (as PyTorch)."""
        return _ops.SqrtOfVariance.apply(self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                                                  keepdims=keepdims))

    def logsumexp(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
                  keepdims: Any = None) -> Tensor:
        """log Σ exp(x), computed as m + log Σ exp(x - m) with m = max(x) so nothing overflows;
        +inf entries give +inf and groups of only -inf give -inf, with finite gradients."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return _ops.LogSumExp.apply(self, dims, keep)

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """Product over `dim`, built from multiplications (exact gradients even with zeros); in
        `dtype` if given."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return _ops.product(self if dtype is None else self.to(dtype), dims, keep)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Do all entries over `dim` hold? (dim=() reduces nothing here, as PyTorch's all)"""
        dims, keep = _reduction_args(self, dim, None, keepdim, None, empty_is_all=False)
        return Tensor._make(np.asarray(self.data.all(axis=dims, keepdims=keep)), None)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """Does any entry over `dim` hold? (dim=() reduces nothing here, as PyTorch's any)"""
        dims, keep = _reduction_args(self, dim, None, keepdim, None, empty_is_all=False)
        return Tensor._make(np.asarray(self.data.any(axis=dims, keepdims=keep)), None)

    # --- softmax (chapter 23.13) ---------------------------------------------------------------

    def softmax(self, dim: int = -1, dtype: Any = None) -> Tensor:
        """p_i = e^{s_i} / Σ_j e^{s_j}, shifted by max(s) so large scores do not overflow; computed
        in `dtype` if given."""
        if dtype is not None:
            return self.to(dtype).softmax(dim)
        if self.data.dtype.kind != "f":
            _needs_float(self, "softmax")
        return _ops.Softmax.apply(self, _dim(dim, self.ndim) if self.ndim else None)

    def log_softmax(self, dim: int = -1, dtype: Any = None) -> Tensor:
        """log p_i = s_i - logsumexp(s): stable where log(softmax) would give -inf; in `dtype` if given."""
        if dtype is not None:
            return self.to(dtype).log_softmax(dim)
        if self.data.dtype.kind != "f":
            _needs_float(self, "log_softmax")
        return _ops.LogSoftmax.apply(self, _dim(dim, self.ndim) if self.ndim else None)


def _needs_float(t: Tensor, name: str) -> None:
    raise TypeError(f"{name}() needs floating point scores; got a tensor of dtype {t.dtype}. Convert it "
                    "first with .double() or .float() (integer scores are usually a mix-up with the targets).")


def _reduction_args(t: Tensor, dim: Any, axis: Any, keepdim: Any, keepdims: Any,
                    empty_is_all: builtins.bool = True) -> tuple[Any, builtins.bool]:
    """The sorted dims to reduce (None: all of them) and keepdim, from PyTorch's or NumPy's names.
    As PyTorch, an empty tuple of dims means all of them (except for any/all: none)."""
    if dim is None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dim is None:
        return None, builtins.bool(keepdim)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if not dims:
        return (None if empty_is_all else ()), builtins.bool(keepdim)
    normalized = tuple(sorted({_dim(d, t.ndim) for d in dims}))
    if t.ndim == 0:
        return None, builtins.bool(keepdim)
    return normalized, builtins.bool(keepdim)


def _variance_args(name: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, Any]:
    """dim and the correction from var/std's two PyTorch forms (unbiased: a bool; correction: a number)."""
    if isinstance(dim, (builtins.bool, np.bool_)):   # var(False): the legacy form with unbiased alone
        if unbiased is not None:
            raise TypeError(f"{name}() got unbiased twice: var(unbiased) takes no dim; use {name}(dim, unbiased)")
        dim, unbiased = None, dim
    if unbiased is None:
        return dim, 1 if correction is None else correction
    if correction is not None:
        raise TypeError(f"{name}() takes unbiased or correction, not both (unbiased=False is correction=0)")
    if not isinstance(unbiased, (builtins.bool, np.bool_)):
        raise TypeError(f"{name}(): unbiased must be a bool (True divides by N - 1, False by N); got "
                        f"{unbiased!r}. Its third positional argument is keepdim; pass correction= for "
                        "other divisors.")
    return dim, 1 if unbiased else 0


def _count(shape: Shape, dims: Any) -> builtins.int:
    if dims is None:
        return builtins.int(np.prod(shape, dtype=np.int64))
    return builtins.int(np.prod([shape[d] for d in dims], dtype=np.int64))


def _reduced_shape(shape: Shape, dims: Any) -> Shape:
    if dims is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _nonempty(t: Tensor, dims: Any, name: str) -> None:
    if t.data.size == 0 and (dims is None or builtins.any(t.shape[d] == 0 for d in dims)):
        raise RuntimeError(f"{name}(): cannot reduce an empty dimension of a tensor of shape {t.shape} "
                           "(a maximum over nothing is undefined); give dim= over a non-empty dimension")


def _arg_reduce(fn: Callable, t: Tensor, dim: Any, keepdim: builtins.bool) -> Tensor:
    if dim is not None:
        fn = functools.partial(fn, axis=_dim(dim, t.ndim), keepdims=keepdim)
    result = Tensor._make(np.asarray(fn(t.data)), None)
    if _mode.tracer is not None: _mode.tracer.constant(fn, (t,), result)   # compile recomputes the indices
    return result


def _selected(t: Any, arg_reduce: Any, dim: Any, keepdim: builtins.bool) -> Any:
    """max(dim)/min(dim): the (values, indices) pair, with the values picked out of `t` at the
    indices, so the gradient goes to the entry returned (as PyTorch), not shared among ties."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"max/min with dim= take one int dimension; got {dim!r} (use amax/amin for several)")
    d = _dim(dim, t.ndim)
    if t.ndim == 0:
        return _ops.MinMax(t * 1, Tensor._make(np.asarray(0), None))
    if t.shape[d] == 0:
        raise IndexError(f"max/min(): dimension {d} of a tensor of shape {t.shape} is empty; there is "
                         "nothing to pick")
    where = _arg_reduce(arg_reduce, t, d, True)   # a tensor the compile tracer records
    grid = list(np.indices(where.shape, sparse=True))
    grid[d] = where.data
    values = t[tuple(grid)]
    if not keepdim:
        values, where = values.squeeze(d), where.squeeze(d)
    return _ops.MinMax(values, where)
