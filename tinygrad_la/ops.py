"""The differentiable primitives: one small Function each, forward and backward side by side.

Notation: `g` is d(loss)/d(output), the gradient arriving from above; each backward returns
d(loss)/d(input) for every input. Broadcasting is undone for all ops in one place
(function.unbroadcast), so a formula here is written as if shapes already matched. Formulas use
operators and methods that NumPy arrays and Tensors share, so under ``create_graph=True`` the
same line records itself and can be differentiated again.

Everything else (mean, var, std, logsumexp, prod, stack, losses) is composed from these.

This file holds the elementwise primitives (arithmetic, e^x, log, σ, ReLU, ...); the others live
by concept and are re-exported here: linalg.py (matmul, einsum), reductions.py (sum, max,
logsumexp, softmax) and shape_ops.py (reshape, permute, expand, cat, indexing).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import get_default_dtype
from .function import Function
from .tensor import Tensor


class Op(Function):
    """A built-in op: forward and backward see NumPy arrays (Tensors under create_graph)."""

    __slots__ = ()
    on_arrays = True


# --- arithmetic -----------------------------------------------------------------------------------

class Add(Op):
    """x + y;  dx = g,  dy = g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    """x - y;  dx = g,  dy = -g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """x * y;  dx = g·y,  dy = g·x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        return (g * y if dx_needed else None), (g * x if dy_needed else None)


class Div(Op):
    """x / y;  dx = g / y,  dy = -g·x / y²"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        return (g / y if dx_needed else None), (-g * x / (y * y) if dy_needed else None)


class Pow(Op):
    """x ** y;  dx = g·y·x^(y-1),  dy = g·x^y·log x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        out = np.power(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        dx = g * y * x ** (y - 1) if dx_needed else None
        dy = g * out * np.log(x) if dy_needed else None
        return dx, dy


class Neg(Op):
    """-x;  dx = -g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Maximum(Op):
    """max(x, y) elementwise;  g goes to the larger input (split in half on ties, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        x_share = (x > y) + 0.5 * (x == y)
        ctx.save_for_backward(x_share)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx, g):
        x_share, = ctx.saved_tensors
        return g * x_share, g * (1 - x_share)


class Minimum(Op):
    """min(x, y) elementwise;  g goes to the smaller input (split in half on ties)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        x_share = (x < y) + 0.5 * (x == y)
        ctx.save_for_backward(x_share)
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx, g):
        x_share, = ctx.saved_tensors
        return g * x_share, g * (1 - x_share)


class Where(Op):
    """cond ? x : y;  dx = g where cond,  dy = g elsewhere"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, cond, x, y):
        cond = np.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx, g):
        cond, = ctx.saved_tensors
        return None, g * cond, g * ~cond


# --- elementwise functions ------------------------------------------------------------------------

def _floating(x: np.ndarray) -> np.ndarray:
    """Integer and bool inputs of e^x, log x, ... are computed in the default float dtype, as PyTorch
    does (NumPy would pick float16 for bool, and float64 for integers whatever the default)."""
    return x.astype(get_default_dtype())


class Exp(Op):
    """e^x;  dx = g·e^x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out


class Log(Op):
    """log x;  dx = g / x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Sin(Op):
    """sin x;  dx = g·cos x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * np.cos(x)


class Cos(Op):
    """cos x;  dx = -g·sin x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * np.sin(x)


class Tanh(Op):
    """tanh x;  dx = g·(1 - tanh²x)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Op):
    """σ(x) = 1 / (1 + e^-x);  dx = g·σ(x)·(1 - σ(x)) = g·σ(x)·σ(-x)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        # With e = e^-|x| (never overflows), σ(x) and σ(-x) are 1/(1+e) and e/(1+e) in the order of
        # x's sign. Keeping σ(-x) itself, not 1 - σ(x), keeps the slope exact far out: at x = 80 in
        # float32, σ(x) rounds to 1 but σ(-x) = 1.8e-35 is still there.
        e = np.exp(-np.abs(x))
        near = 1 / (1 + e)
        far = e * near
        positive = x >= 0
        out = np.where(positive, near, far)
        ctx.save_for_backward(out, np.where(positive, far, near))
        return out

    @staticmethod
    def backward(ctx, g):
        out, out_of_neg = ctx.saved_tensors
        if isinstance(out, Tensor):   # create_graph: σ(-x) must be a function of x as well
            out_of_neg = 1 - out
        return g * out * out_of_neg


class ReLU(Op):
    """max(0, x);  dx = g where x > 0, else 0"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        active = x > 0
        ctx.save_for_backward(active)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        active, = ctx.saved_tensors
        return g * active


class Abs(Op):
    """|x|;  dx = g·sign(x)  (0 at x = 0, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        sign, = ctx.saved_tensors
        return g * sign


class Sqrt(Op):
    """√x;  dx = g / (2√x)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = _floating(x)
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g / (2 * out)


class Clamp(Op):
    """min(max(x, lo), hi);  dx = g where lo <= x <= hi, else 0"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, lo, hi):
        inside = np.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save_for_backward(inside)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        inside, = ctx.saved_tensors
        return g * inside, None, None


class Cast(Op):
    """x.astype(dtype);  dx = g cast back to x's dtype"""
    __slots__ = ("in_dtype",)

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx.in_dtype.kind != "f":
            return None
        return g.astype(ctx.in_dtype) if isinstance(g, np.ndarray) else g.to(ctx.in_dtype)


class Clone(Op):
    """a copy of x;  dx = g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition holds, else y (all three broadcast together)."""
    return Where.apply(condition, x, y)


# The ops that reduce, that move entries around, and that multiply matrices have files of their own;
# their names are re-exported here, so `ops.Sum`, `ops.cat`, ... reach every op from one place.
from .linalg import MatMul, matmul, Einsum, einsum, _einsum_adjoint, _einsum_subscripts, _LETTERS  # noqa: E402,F401
from .reductions import (Sum, Max, MinMax, product, _pairwise_product, _keepdim_shape,  # noqa: E402,F401
                         Softmax, LogSoftmax, LogSumExp)
from .shape_ops import (Reshape, Permute, Expand, broadcast_to, Cat, cat, stack,  # noqa: E402,F401
                        _plain_index, _is_basic, Index, IndexAdd, index_add, index, SetItem, setitem)


# --- NumPy's ufuncs on Tensors (np.exp(t), array * t) ----------------------------------------------

UFUNCS = {
    np.add: Add.apply, np.subtract: Sub.apply, np.multiply: Mul.apply, np.true_divide: Div.apply,
    np.power: Pow.apply, np.negative: Neg.apply, np.maximum: Maximum.apply, np.minimum: Minimum.apply,
    np.exp: Exp.apply, np.log: Log.apply, np.sin: Sin.apply, np.cos: Cos.apply, np.tanh: Tanh.apply,
    np.sqrt: Sqrt.apply, np.absolute: Abs.apply, np.matmul: matmul,
    np.equal: lambda a, b: Tensor(a) == b, np.not_equal: lambda a, b: Tensor(a) != b,
    np.less: lambda a, b: Tensor(a) < b, np.less_equal: lambda a, b: Tensor(a) <= b,
    np.greater: lambda a, b: Tensor(a) > b, np.greater_equal: lambda a, b: Tensor(a) >= b,
}
