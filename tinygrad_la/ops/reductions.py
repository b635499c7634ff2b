"""Reductions: ops that combine many entries into one (Σ, max, log Σ e^x) and softmax over an axis.

A reduction's backward spreads g back over the entries it combined: a sum copies g to each of
them, a max gives g to the entries that attained it, softmax's Jacobian mixes them (chapter
23.13). mean, var, std and prod are composed from these. Notation as in elementwise.py. Below the
ops, the Tensor methods that call them (`ReductionMethods`), with PyTorch's arguments: `dim` an
int, a tuple, or None for all (NumPy's `axis`/`keepdims` spellings accepted too).
"""
from __future__ import annotations

import builtins
import functools
from collections import namedtuple
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..core.function import Op
from ..core.tensor_base import Shape, TensorBase, _dim
from .elementwise import _constant, _data, _select
from .linalg import LinalgMethods
from .movement import broadcast_to, cat, index_add

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["ReductionMethods", "MinMax"]


# --- reductions -----------------------------------------------------------------------------------

def _keepdim_shape(shape: Shape, axes: Any) -> Shape:
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Op):
    """Σ x over axes;  dx = g copied back along the summed axes  (db = 1ᵀ dZ is one of these)"""
    __slots__ = ("in_shape", "keep_shape")
    graph_inputs = slice(0, 1)   # the axes are parameters, not inputs (PyTorch's next_functions)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, axes: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.in_shape = x.shape
        ctx.keep_shape = _keepdim_shape(x.shape, axes)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return broadcast_to(g.reshape(ctx.keep_shape), ctx.in_shape)


class SumDims(Sum):
    """x.sum(dim): PyTorch names the overload with dims apart from x.sum()"""
    __slots__ = ()
    node_name = "SumBackward1"


class Mean(Op):
    """Σ x / N over axes (N entries each);  dx = g / N copied back along the reduced axes"""
    __slots__ = ("in_shape", "keep_shape", "count")
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, axes: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.in_shape = x.shape
        ctx.keep_shape = _keepdim_shape(x.shape, axes)
        ctx.count = x.size if axes is None else int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
        return x.sum(axis=axes, keepdims=keepdim) / ctx.count

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return broadcast_to(g.reshape(ctx.keep_shape) / ctx.count, ctx.in_shape)


class MeanDims(Mean):
    """x.mean(dim) (PyTorch's MeanBackward1; x.mean() is MeanBackward0)"""
    __slots__ = ()
    node_name = "MeanBackward1"


class Amax(Op):
    """max x over axes;  dx = g shared equally among the entries that attain the max

    A group holding nan has max nan. Then amax's rule (the entries equal to the max share g) finds
    no entry equal to nan, and every gradient is nan, as PyTorch's amax; max() of a whole tensor
    (Max, `nan_wins`) shares g among the nan entries instead, as PyTorch's max(). Amin, Min: the same
    with min.
    """
    __slots__ = ("keep_shape",)
    graph_inputs = slice(0, 1)
    extreme = staticmethod(np.max)
    nan_wins = False

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, axes: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        out = ctx.extreme(x, axis=axes, keepdims=True)
        is_max = x == out
        if ctx.nan_wins:
            is_max |= np.isnan(x)
        with np.errstate(invalid="ignore", divide="ignore"):   # a nan group of amax: 0/0, as PyTorch
            share = np.divide(is_max, is_max.sum(axis=axes, keepdims=True), dtype=x.dtype if x.dtype.kind == "f" else None)
        ctx.save_for_backward(share)
        ctx.keep_shape = out.shape
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        share, = ctx.saved_tensors
        return g.reshape(ctx.keep_shape) * share


class Amin(Amax):
    """min x over axes;  dx = g shared equally among the entries that attain the min"""
    __slots__ = ()
    extreme = staticmethod(np.min)


class Max(Amax):
    """x.max() of the whole tensor: nan wins (PyTorch's MaxBackward1)"""
    __slots__ = ()
    node_name = "MaxBackward1"
    nan_wins = True


class Min(Amin):
    """x.min() of the whole tensor: nan wins (PyTorch's MinBackward1)"""
    __slots__ = ()
    node_name = "MinBackward1"
    nan_wins = True


class MaxAlong(Op):
    """the values of x.max(dim): x at the positions argmax chose;  dx = g put back at them (only
    there: the entry returned gets the gradient, as PyTorch, not every tie)"""
    __slots__ = ("index", "in_shape", "keep_shape")
    graph_inputs = slice(0, 1)
    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, index: tuple[np.ndarray, ...], axis: int | None) -> np.ndarray:
        ctx.index, ctx.in_shape = index, x.shape
        out = x[index]                  # the kept dimension has size 1
        ctx.keep_shape = out.shape
        return out if axis is None else out.squeeze(axis)   # axis None: keepdim

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return index_add(g.reshape(ctx.keep_shape), ctx.index, ctx.in_shape)


class MinAlong(MaxAlong):
    """the values of x.min(dim), likewise"""
    __slots__ = ()
    node_name = "MinBackward0"


class SqrtOfVariance(Op):
    """std = √var;  dvar = g / (2 std), and 0 where std = 0 (PyTorch's std: a constant group, or one
    whose variance underflows, has gradient 0, not g / 0)"""
    __slots__ = ()
    node_name = "StdBackward0"   # the top of std's graph (PyTorch's std is one node; here var is below it)

    @staticmethod
    def forward(ctx: Any, v: np.ndarray) -> np.ndarray:
        out = np.sqrt(v)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, = ctx.saved_tensors
        zero = _data(out) == 0
        return _select(zero, 0, g / (2 * _select(zero, 1, out)))   # no g / 0 even where it is masked


MinMax = namedtuple("MinMax", ["values", "indices"])   # what max(dim)/min(dim) return, as PyTorch


def product(x: Any, axes: Any, keepdim: bool) -> Any:
    """Π x over axes, as a tree of pairwise products: log n multiplications, exact gradients at zeros."""
    if axes is None:
        flat = x.reshape(-1)
        out = _pairwise_product(flat, 0)
        return out.reshape((1,) * x.ndim) if keepdim else out.reshape(())
    out = x
    for axis in sorted(axes, reverse=True):
        out = _pairwise_product(out, axis)      # removes `axis`
    if keepdim:
        out = out.reshape(_keepdim_shape(x.shape, axes))
    return out


def _pairwise_product(x: Any, axis: int) -> Any:
    n = x.shape[axis]
    if n == 0:
        return TensorBase._make(np.ones(x.shape[:axis] + x.shape[axis + 1:], dtype=x.dtype), None) + x.sum(axis) * 0
    lead = (slice(None),) * axis
    while n > 1:
        half = n // 2
        paired = x[lead + (slice(0, half),)] * x[lead + (slice(half, 2 * half),)]
        x = cat([paired, x[lead + (slice(2 * half, n),)]], axis) if n % 2 else paired
        n = x.shape[axis]
    return x[lead + (0,)]


# --- softmax (chapter 23.13) ----------------------------------------------------------------------

class Softmax(Op):
    """p = e^{s - max s} / Σ e^{s - max s};  ds = p·(g - Σ g·p)"""
    __slots__ = ("axis",)
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, s: np.ndarray, axis: int | None) -> np.ndarray:
        ctx.axis = axis
        e = np.exp(s - s.max(axis=axis, keepdims=True))
        p = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(p)
        return p

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        p, = ctx.saved_tensors
        gp = g * p
        return gp - p * gp.sum(axis=ctx.axis, keepdims=True)


class LogSoftmax(Op):
    """log p = s - logsumexp(s);  ds = g - p·Σ g"""
    __slots__ = ("axis",)
    graph_inputs = slice(0, 1)

    @staticmethod
    def forward(ctx: Any, s: np.ndarray, axis: int | None) -> np.ndarray:
        ctx.axis = axis
        shifted = s - s.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)


class LogSumExp(Op):
    """log Σ e^x over axes = m + log Σ e^(x - m), m = max x;  dx = g·e^(x - out) = g·softmax(x)

    A fused op for its infinities, where the composed form gives nan: a group holding +inf sums
    to +inf, its gradient shared by the +inf entries (softmax's limit); a group of only -inf
    (everything masked out) sums to -inf, with gradient 0 (no finite change of x moves it).
    """
    __slots__ = ("axes", "keep_shape")
    float_inputs = True
    graph_inputs = slice(0, 1)
    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, axes: tuple[int, ...] | None, keepdim: bool) -> np.ndarray:
        ctx.axes = axes
        ctx.keep_shape = keep = _keepdim_shape(x.shape, axes)
        m = x.max(axis=axes, keepdims=True) if x.size else np.zeros(keep, x.dtype)
        finite = np.isfinite(m)
        if x.size and finite.all():
            e = np.exp(x - m)
            total = e.sum(axis=axes, keepdims=True)
            out = np.log(total) + m
            p = e / total
        else:   # empty groups, infinite or nan maxima: no shift there, then the limits by hand
            with np.errstate(divide="ignore", invalid="ignore"):
                m = np.where(finite, m, 0)
                e = np.exp(x - m)
                total = e.sum(axis=axes, keepdims=True)
                out = np.log(total) + m
                p = e / total
                top = x == np.inf
                p = np.where(out == np.inf, top / top.sum(axis=axes, keepdims=True), p)
                p = np.where(total == 0, 0, p).astype(x.dtype, copy=False)
        result = out if keepdim else out.reshape(_reduced_shape(x.shape, axes))
        ctx.save_for_backward(x, p, result)
        return result

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, p, out = ctx.saved_tensors
        if isinstance(g, TensorBase):
            # create_graph: softmax(x) = e^(x - out) as a function of x, through this op's own output
            # (as PyTorch's formula: a hook on the output also sees the second-order gradient)
            p = (x - out.reshape(ctx.keep_shape)).exp()
        return g.reshape(ctx.keep_shape) * p, None, None


# --- the Tensor methods ---------------------------------------------------------------------------

class ReductionMethods(LinalgMethods):
    """Tensor's reductions and softmax (Tensor inherits them; see tensor.py)."""

    __slots__ = ()

    # --- reductions ----------------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None, axis: Any = None,
            keepdims: Any = None) -> Self:
        """Sum over `dim` (an int, a tuple, or None or () for all), computed in `dtype` if given;
        ``axis``/``keepdims`` are accepted too."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        op = Sum if dim is None and axis is None else SumDims
        return op.apply(self if dtype is None else self.to(dtype), dims, keep)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None, axis: Any = None,
             keepdims: Any = None) -> Self:
        """Σ x / N over `dim` (an int, a tuple, or None or () for all), computed in `dtype` if given."""
        if dtype is not None:
            return self.to(dtype).mean(dim, keepdim, axis=axis, keepdims=keepdims)
        if self._array.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {self.dtype}; convert it first, e.g. x.double(), "
                               "or pass dtype=")
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        count = _count(self.shape, dims)
        op = Mean if dim is None and axis is None else MeanDims
        return op.apply(self, dims, keep) if count else Sum.apply(self, dims, keep) * np.nan

    def amax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Self:
        """Largest value over `dim`; ties share the gradient equally."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        _nonempty(self, dims, "amax")
        return Amax.apply(self, dims, keep)

    def amin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Self:
        """Smallest value over `dim`; ties share the gradient equally."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        _nonempty(self, dims, "amin")
        return Amin.apply(self, dims, keep)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        """The largest value; with an int `dim`, a ``(values, indices)`` pair as PyTorch returns."""
        if isinstance(dim, TensorBase):
            return self.maximum(dim)
        if dim is None and axis is None:
            _nonempty(self, None, "max")
            return Max.apply(self, None, False)   # nan wins, its entries share g
        return _selected(self, MaxAlong, np.argmax, dim if dim is not None else axis,
                         keepdim or builtins.bool(keepdims))

    def min(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        """The smallest value; with an int `dim`, a ``(values, indices)`` pair as PyTorch returns."""
        if isinstance(dim, TensorBase):
            return self.minimum(dim)
        if dim is None and axis is None:
            _nonempty(self, None, "min")
            return Min.apply(self, None, False)
        return _selected(self, MinAlong, np.argmin, dim if dim is not None else axis,
                         keepdim or builtins.bool(keepdims))

    def argmax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Self:
        """Index of the largest value (of the flattened tensor when dim is None); no gradient."""
        return _arg_reduce(np.argmax, self, dim if dim is not None else axis, keepdim)

    def argmin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Self:
        """Index of the smallest value (of the flattened tensor when dim is None); no gradient."""
        return _arg_reduce(np.argmin, self, dim if dim is not None else axis, keepdim)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: builtins.bool = False, *,
            correction: Any = None, axis: Any = None, keepdims: Any = None) -> Self:
        """Variance Σ (x - mean)² / (N - correction), correction 1 by default, as PyTorch; both of its
        forms: var(dim, unbiased, keepdim) (unbiased=False: correction 0) and var(dim, *, correction,
        keepdim); var(False) alone is var(unbiased=False)."""
        dim, correction = _variance_args("var", dim, unbiased, correction)
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        deviation = self - self.mean(dims, keepdim=True)
        return (deviation * deviation).sum(dims, keep) / builtins.max(_count(self.shape, dims) - correction, 0)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: builtins.bool = False, *,
            correction: Any = None, axis: Any = None, keepdims: Any = None) -> Self:
        """√var, with var's arguments; the gradient is 0 where the std is 0 (as PyTorch)."""
        return SqrtOfVariance.apply(self.var(dim, unbiased, keepdim, correction=correction, axis=axis,
                                                  keepdims=keepdims))

    def logsumexp(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
                  keepdims: Any = None) -> Self:
        """log Σ exp(x), computed as m + log Σ exp(x - m) with m = max(x) so nothing overflows;
        +inf entries give +inf and groups of only -inf give -inf, with finite gradients."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return LogSumExp.apply(self, dims, keep)

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None, axis: Any = None,
             keepdims: Any = None) -> Self:
        """Product over `dim`, built from multiplications (exact gradients even with zeros); in
        `dtype` if given."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return product(self if dtype is None else self.to(dtype), dims, keep)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Self:
        """Do all entries over `dim` hold? (dim=() reduces nothing here, as PyTorch's all)"""
        dims, keep = _reduction_args(self, dim, None, keepdim, None, empty_is_all=False)
        return TensorBase._make(np.asarray(self._array.all(axis=dims, keepdims=keep)), None)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Self:
        """Does any entry over `dim` hold? (dim=() reduces nothing here, as PyTorch's any)"""
        dims, keep = _reduction_args(self, dim, None, keepdim, None, empty_is_all=False)
        return TensorBase._make(np.asarray(self._array.any(axis=dims, keepdims=keep)), None)

    # --- softmax (chapter 23.13) ---------------------------------------------------------------

    def softmax(self, dim: int = -1, dtype: Any = None) -> Self:
        """p_i = e^{s_i} / Σ_j e^{s_j}, shifted by max(s) so large scores do not overflow; computed
        in `dtype` if given."""
        if dtype is not None:
            return self.to(dtype).softmax(dim)
        if self._array.dtype.kind != "f":
            _needs_float(self, "softmax")
        return Softmax.apply(self, _dim(dim, self.ndim) if self.ndim else None)

    def log_softmax(self, dim: int = -1, dtype: Any = None) -> Self:
        """log p_i = s_i - logsumexp(s): stable where log(softmax) would give -inf; in `dtype` if given."""
        if dtype is not None:
            return self.to(dtype).log_softmax(dim)
        if self._array.dtype.kind != "f":
            _needs_float(self, "log_softmax")
        return LogSoftmax.apply(self, _dim(dim, self.ndim) if self.ndim else None)


def _needs_float(t: Any, name: str) -> None:
    raise TypeError(f"{name}() needs floating point scores; got a tensor of dtype {t.dtype}. Convert it "
                    "first with .double() or .float() (integer scores are usually a mix-up with the targets).")


def _reduction_args(t: Any, dim: Any, axis: Any, keepdim: Any, keepdims: Any,
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


def _nonempty(t: Any, dims: Any, name: str) -> None:
    if t._array.size == 0 and (dims is None or builtins.any(t.shape[d] == 0 for d in dims)):
        raise RuntimeError(f"{name}(): cannot reduce an empty dimension of a tensor of shape {tuple(t.shape)} "
                           "(a maximum over nothing is undefined); give dim= over a non-empty dimension")


def _arg_reduce(fn: Callable[..., Any], t: Any, dim: Any, keepdim: builtins.bool) -> Any:
    if dim is not None:
        fn = functools.partial(fn, axis=_dim(dim, t.ndim), keepdims=keepdim)
    return _constant(fn, t)   # a result without gradient, which compile recomputes


def _selected(t: Any, op: type[MaxAlong], arg_reduce: Any, dim: Any, keepdim: builtins.bool) -> Any:
    """max(dim)/min(dim): the (values, indices) pair, with the values picked out of `t` at the
    indices, so the gradient goes to the entry returned (as PyTorch), not shared among ties."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"max/min with dim= take one int dimension; got {dim!r} (use amax/amin for several)")
    d = _dim(dim, t.ndim)
    if t.ndim == 0:
        return MinMax(op.apply(t, (), None), TensorBase._make(np.asarray(0), None))
    if t.shape[d] == 0:
        raise IndexError(f"max/min(): dimension {d} of a tensor of shape {tuple(t.shape)} is empty; there is "
                         "nothing to pick")
    where = _arg_reduce(arg_reduce, t, d, True)   # a tensor the compile tracer records
    grid = list(np.indices(where.shape, sparse=True))
    grid[d] = where._array
    values = op.apply(t, tuple(grid), None if keepdim else d)
    return MinMax(values, where if keepdim else where.squeeze(d))
