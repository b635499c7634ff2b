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
from .tensor import Tensor, _operands


class Op(Function):
    """A built-in op: forward and backward see NumPy arrays (Tensors under create_graph)."""

    __slots__ = ()
    on_arrays = True
    integer_outputs = False   # float in, float out (Cast is the exception, and says so)


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
        dx_needed, dy_needed = ctx._needs   # keep only what backward reads: x for dy, y for dx
        ctx.save_for_backward(x if dy_needed else None, y if dx_needed else None)
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
        ctx.save_for_backward(x if ctx._needs[1] else None, y)   # x only for dy
        return x / y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        return (g / y if dx_needed else None), (-g * x / (y * y) if dy_needed else None)


class RoundedDiv(Op):
    """x / y rounded toward -inf ("floor") or 0 ("trunc");  dx = dy = 0 (a step function, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y, mode):
        if mode == "floor":
            return np.floor_divide(x, y)
        quotient = np.trunc(np.true_divide(x, y))
        return quotient.astype(np.result_type(x, y)) if _is_integer(x) and _is_integer(y) else quotient

    @staticmethod
    def backward(ctx, g):
        zero = np.zeros(g.shape, g.dtype)
        return zero, zero, None


class Remainder(Op):
    """x mod y = x - y·floor(x / y) (the sign of y, as Python and PyTorch);  dx = g,  dy = -g·floor(x / y)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(np.floor_divide(x, y))
        return np.mod(x, y)

    @staticmethod
    def backward(ctx, g):
        quotient, = ctx.saved_tensors
        return g, (-g * quotient if ctx.needs_input_grad[1] else None)


class Pow(Op):
    """x ** y;  dx = g·y·x^(y-1), 0 where y = 0;  dy = g·x^y·log x, 0 where x = 0 and y >= 0

    The zeros are PyTorch's: x^0 is the constant 1 (so d/dx 0^0 is 0, not 0·0^-1 = nan), and
    0^y is the constant 0 for y > 0 (d/dy 0^y is 0, not 0·log 0 = nan).
    """
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        out = _integer_power(x, y) if _is_integer(x) and _is_integer(y) else np.power(x, y)
        if out.dtype.kind == "f" and (type(x) is not np.ndarray or x.dtype.kind != "f"):
            x = np.asarray(x, dtype=out.dtype)   # log x in backward then stays in the result's dtype
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        dx = dy = None
        with np.errstate(divide="ignore", invalid="ignore"):   # the masked entries may be inf or nan
            if dx_needed:
                if isinstance(y, (int, float)):
                    dx = np.zeros(out.shape, out.dtype) if y == 0 else g * (y * x ** (y - 1))
                else:
                    dx = _select(_data(y) == 0, 0, g * (y * x ** (y - 1)))
            if dy_needed:
                constant = np.logical_and(_data(x) == 0, _data(y) >= 0)
                dy = g * _select(constant, 0, out * np.log(x))
        return dx, dy


def _is_integer(v: Any) -> bool:
    """An integer or bool tensor (array) or Python number."""
    return v.dtype.kind in "iub" if isinstance(v, np.ndarray) else isinstance(v, int)


def _integer_power(x: Any, y: Any) -> np.ndarray:
    """x ** y for integers, as PyTorch: a negative Python exponent raises; a negative entry of an
    exponent tensor gives 1/x^|y| truncated to an integer (0, except for x = 1 and x = -1)."""
    negative = np.less(y, 0)
    if not negative.any():
        return np.power(x, y)
    if not isinstance(y, np.ndarray):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    whole = np.power(x, np.where(negative, 0, y))
    unit = np.where(np.equal(x, -1), np.where(y % 2 == 0, 1, -1), np.equal(x, 1))
    return np.where(negative, unit, whole).astype(whole.dtype, copy=False)


def _data(v: Any) -> Any:
    """The array inside a Tensor (under create_graph), for masks that take no gradient."""
    return v.data if isinstance(v, Tensor) else v


def _select(condition: Any, a: Any, b: Any) -> Any:
    """np.where, recorded (so differentiable again) when a branch is a Tensor under create_graph."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return Where.apply(condition, a, b)
    return np.where(condition, a, b)


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
    """max(x, y) elementwise;  dx = g where x wins, g/2 on a tie, 0 where x loses;  dy likewise
    (an input's share of g is 1 where it does not lose, less 1/2 on a tie, in the output's dtype)

    As PyTorch, nan wins: it propagates to the output and each input that is nan gets all of g
    (as does the other input, since it does not lose: x < nan is false).
    """
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        out = np.maximum(x, y)
        half_on_ties = (x == y) * np.array(0.5, out.dtype)
        ctx.save_for_backward(~(x < y) - half_on_ties, ~(x > y) - half_on_ties)
        return out

    @staticmethod
    def backward(ctx, g):
        x_share, y_share = ctx.saved_tensors
        return g * x_share, g * y_share


class Minimum(Op):
    """min(x, y) elementwise;  dx = g where x wins (is smaller), g/2 on a tie, 0 where x loses (nan wins)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        out = np.minimum(x, y)
        half_on_ties = (x == y) * np.array(0.5, out.dtype)
        ctx.save_for_backward(~(x > y) - half_on_ties, ~(x < y) - half_on_ties)
        return out

    @staticmethod
    def backward(ctx, g):
        x_share, y_share = ctx.saved_tensors
        return g * x_share, g * y_share


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
    """max(0, x);  dx = g where max(0, x) > 0, else 0  (nan in, nan out, and g passes, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out != 0)   # max(0, x) > 0, or nan
        return out

    @staticmethod
    def backward(ctx, g):
        active, = ctx.saved_tensors
        return g * active


class Abs(Op):
    """|x|;  dx = g·sign(x)  (0 at x = 0 and at nan, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(_sign(x))
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
    """min(max(x, lo), hi);  dx = g where lo <= x <= hi;  dlo = g where x < lo < hi;  dhi = g where
    x > hi, or hi < lo (then the output is hi)  (PyTorch's rule, ties going to x)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, lo, hi):
        out = np.clip(x, lo, hi)
        inside = np.logical_and(True if lo is None else x >= lo, True if hi is None else x <= hi)
        _, lo_needed, hi_needed = ctx.needs_input_grad
        to_lo = to_hi = None
        if lo_needed:
            to_lo = x < lo if hi is None else np.logical_and(x < lo, lo < hi)
        if hi_needed:
            to_hi = x > hi if lo is None else np.logical_or(x > hi, hi < lo)
        ctx.save_for_backward(inside, to_lo, to_hi)
        return out

    @staticmethod
    def backward(ctx, g):
        inside, to_lo, to_hi = ctx.saved_tensors
        return (g * inside if ctx.needs_input_grad[0] else None,
                None if to_lo is None else g * to_lo, None if to_hi is None else g * to_hi)


class Cast(Op):
    """x.astype(dtype);  dx = g cast back to x's dtype"""
    __slots__ = ("in_dtype",)
    integer_outputs = True   # x.long(): an integer result, which never requires grad

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx.in_dtype.kind != "f":
            return None
        return g.to(ctx.in_dtype) if isinstance(g, Tensor) else np.asarray(g).astype(ctx.in_dtype)


class Clone(Op):
    """a copy of x;  dx = g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002  (PyTorch's names)
    """input where condition holds, else other (all three broadcast together, input and other
    promoted as by input + other)."""
    return Where.apply(condition, *_operands(input, other))


def _sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 in x's dtype; 0 for nan, as PyTorch (NumPy's sign gives nan)."""
    if x.dtype.kind == "b":
        return x.copy()
    return np.subtract(x > 0, x < 0, dtype=x.dtype)


# The ops that reduce, that move entries around, and that multiply matrices have files of their own;
# their names are re-exported here, so `ops.Sum`, `ops.cat`, ... reach every op from one place.
from .linalg import MatMul, matmul, Einsum, einsum, _einsum_adjoint, _einsum_subscripts, _LETTERS  # noqa: E402,F401
from .reductions import (Sum, Max, MinMax, product, _pairwise_product, _keepdim_shape,  # noqa: E402,F401
                         Softmax, LogSoftmax, LogSumExp, SqrtOfVariance)
from .shape_ops import (Reshape, Permute, Expand, broadcast_to, Cat, cat, stack,  # noqa: E402,F401
                        _plain_index, _is_basic, Index, IndexAdd, index_add, index, SetItem, setitem)


# --- NumPy's ufuncs on Tensors (np.exp(t), array * t) ----------------------------------------------

def _binary(op: type) -> Any:
    """`op` on two operands promoted as PyTorch does (a NumPy scalar acts like a Python number)."""
    return lambda a, b: op.apply(*_operands(a, b))


UFUNCS = {
    np.add: _binary(Add), np.subtract: _binary(Sub), np.multiply: _binary(Mul), np.true_divide: _binary(Div),
    np.power: _binary(Pow), np.negative: Neg.apply, np.maximum: _binary(Maximum), np.minimum: _binary(Minimum),
    np.exp: Exp.apply, np.log: Log.apply, np.sin: Sin.apply, np.cos: Cos.apply, np.tanh: Tanh.apply,
    np.sqrt: Sqrt.apply, np.absolute: Abs.apply, np.matmul: matmul,
    np.equal: lambda a, b: Tensor(a) == b, np.not_equal: lambda a, b: Tensor(a) != b,
    np.less: lambda a, b: Tensor(a) < b, np.less_equal: lambda a, b: Tensor(a) <= b,
    np.greater: lambda a, b: Tensor(a) > b, np.greater_equal: lambda a, b: Tensor(a) >= b,
}
