"""Reductions: ops that combine many entries into one (Σ, max, log Σ e^x) and softmax over an axis.

A reduction's backward spreads g back over the entries it combined: a sum copies g to each of
them, a max gives g to the entries that attained it, softmax's Jacobian mixes them (chapter
23.13). mean, var, std and prod are composed from these. Notation as in ops.py.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .ops import Op, _data, _floating, _select
from .shape_ops import broadcast_to, cat
from .tensor import Tensor, _reduced_shape


# --- reductions -----------------------------------------------------------------------------------

def _keepdim_shape(shape: tuple, axes: Any) -> tuple:
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Op):
    """Σ x over axes;  dx = g copied back along the summed axes  (db = 1ᵀ dZ is one of these)"""
    __slots__ = ("in_shape", "keep_shape")

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape = x.shape
        ctx.keep_shape = _keepdim_shape(x.shape, axes)
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return broadcast_to(g.reshape(ctx.keep_shape), ctx.in_shape)


class Max(Op):
    """max x over axes;  dx = g shared equally among the entries that attain the max

    A group holding nan has max nan. Then amax's rule (`nan_wins` False: the entries equal to the
    max share g) finds no entry equal to nan, and every gradient is nan, as PyTorch's amax; max()
    of a whole tensor (`nan_wins` True) shares g among the nan entries instead, as PyTorch's max().
    """
    __slots__ = ("keep_shape",)

    @staticmethod
    def forward(ctx, x, axes, keepdim, nan_wins=False):
        out = x.max(axis=axes, keepdims=True)
        is_max = x == out
        if nan_wins:
            is_max |= np.isnan(x)
        with np.errstate(invalid="ignore", divide="ignore"):   # a nan group of amax: 0/0, as PyTorch
            share = np.divide(is_max, is_max.sum(axis=axes, keepdims=True), dtype=x.dtype if x.dtype.kind == "f" else None)
        ctx.save_for_backward(share)
        ctx.keep_shape = out.shape
        return out if keepdim else out.reshape(x.max(axis=axes).shape if axes is not None else ())

    @staticmethod
    def backward(ctx, g):
        share, = ctx.saved_tensors
        return g.reshape(ctx.keep_shape) * share


class SqrtOfVariance(Op):
    """std = √var;  dvar = g / (2 std), and 0 where std = 0 (PyTorch's std: a constant group, or one
    whose variance underflows, has gradient 0, not g / 0)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, v):
        out = np.sqrt(v)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        zero = _data(out) == 0
        return _select(zero, 0, g / (2 * _select(zero, 1, out)))   # no g / 0 even where it is masked


MinMax = namedtuple("MinMax", ["values", "indices"])   # what max(dim)/min(dim) return, as PyTorch


def product(x: Tensor, axes: Any, keepdim: bool) -> Tensor:
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


def _pairwise_product(x: Tensor, axis: int) -> Tensor:
    n = x.shape[axis]
    if n == 0:
        return Tensor._make(np.ones(x.shape[:axis] + x.shape[axis + 1:], dtype=x.dtype), None) + x.sum(axis) * 0
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

    @staticmethod
    def forward(ctx, s, axis):
        ctx.axis = axis
        e = np.exp(s - s.max(axis=axis, keepdims=True))
        p = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(p)
        return p

    @staticmethod
    def backward(ctx, g):
        p, = ctx.saved_tensors
        gp = g * p
        return gp - p * gp.sum(axis=ctx.axis, keepdims=True)


class LogSoftmax(Op):
    """log p = s - logsumexp(s);  ds = g - p·Σ g"""
    __slots__ = ("axis",)

    @staticmethod
    def forward(ctx, s, axis):
        ctx.axis = axis
        shifted = s - s.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)


class LogSumExp(Op):
    """log Σ e^x over axes = m + log Σ e^(x - m), m = max x;  dx = g·e^(x - out) = g·softmax(x)

    A fused op for its infinities, where the composed form gives nan: a group holding +inf sums
    to +inf, its gradient shared by the +inf entries (softmax's limit); a group of only -inf
    (everything masked out) sums to -inf, with gradient 0 (no finite change of x moves it).
    """
    __slots__ = ("axes", "keep_shape")

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        if x.dtype.kind != "f":
            x = _floating(x)
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
        ctx.save_for_backward(x, p)
        return out if keepdim else out.reshape(_reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        x, p = ctx.saved_tensors
        if isinstance(g, Tensor):   # create_graph: softmax(x) as a function of x
            p = (x - LogSumExp.apply(x, ctx.axes, True)).exp()
        return g.reshape(ctx.keep_shape) * p, None, None
