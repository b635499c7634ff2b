"""The differentiable primitives: one small Function each, forward and backward side by side.

Notation: `g` is d(loss)/d(output), the gradient arriving from above; each backward returns
d(loss)/d(input) for every input. Broadcasting is undone for all ops in one place
(function.unbroadcast), so a formula here is written as if shapes already matched. Formulas use
operators and methods that NumPy arrays and Tensors share, so under ``create_graph=True`` the
same line records itself and can be differentiated again.

Everything else (mean, var, std, logsumexp, prod, stack, losses) is composed from these.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from .dtypes import get_default_dtype
from .function import Function
from .engine import _mode
from .tensor import Tensor, _bump, _counter, _dim, _inplace, _reduced_shape


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


# --- matrix multiplication (chapter 23.10: Z = X Wᵀ) ------------------------------------------------

class MatMul(Op):
    """A @ B with NumPy's rules;  dA = G Bᵀ,  dB = Aᵀ G  (batch dims summed by unbroadcast)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        da_needed, db_needed = ctx.needs_input_grad
        da = db = None
        if a.ndim == 1 and b.ndim == 1:          # dot product: g is a scalar
            da, db = g * b, g * a
        elif a.ndim == 1:                         # (k,) @ (..., k, n): a acts as a (1, k) row
            g_row = g[..., None, :]
            da = (g_row @ b.swapaxes(-1, -2)) if da_needed else None
            db = a[:, None] * g_row if db_needed else None
        elif b.ndim == 1:                         # (..., m, k) @ (k,): b acts as a (k, 1) column
            g_col = g[..., :, None]
            da = g_col * b if da_needed else None
            db = (a.swapaxes(-1, -2) @ g_col)[..., 0] if db_needed else None
        else:
            da = g @ b.swapaxes(-1, -2) if da_needed else None
            db = a.swapaxes(-1, -2) @ g if db_needed else None
        return da, db


def matmul(a: Any, b: Any) -> Tensor:
    """A @ B, with an error that names both shapes when they do not fit."""
    a_shape, b_shape = np.shape(a), np.shape(b)
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"matmul needs tensors with at least 1 dimension; got shapes {a_shape} and "
                           f"{b_shape}. Use * to multiply by a scalar.")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: shapes {a_shape} and {b_shape} cannot be multiplied: the last dimension "
                           f"of the first ({k_a}) must equal the {'only' if len(b_shape) == 1 else 'second-to-last'} "
                           f"dimension of the second ({k_b}). Transpose one of them (.T) or check the layer sizes.")
    return MatMul.apply(a, b)


# --- einsum: sums of products of indexed arrays -----------------------------------------------------

class Einsum(Op):
    """out[output] = Σ Πₖ xₖ[inputsₖ] (np.einsum, subscripts already explicit: no "...", an output);
    dxₖ = einsum of g[output] and the other inputs, out to xₖ's subscripts. The sum of products is
    linear in each xₖ, so its adjoint is again an einsum: the roles of xₖ and the output swap."""
    __slots__ = ("inputs", "output")

    @staticmethod
    def forward(ctx, inputs, output, *xs):
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*xs)
        return np.einsum(",".join(inputs) + "->" + output, *xs, optimize=len(xs) > 2)

    @staticmethod
    def backward(ctx, g):
        xs = ctx.saved_tensors
        return (None, None) + tuple(_einsum_adjoint(ctx.inputs, ctx.output, xs, g, k) if needed else None
                                    for k, needed in enumerate(ctx.needs_input_grad[2:]))


def _einsum_adjoint(inputs: tuple, output: str, xs: tuple, g: Any, k: int) -> Any:
    """d(loss)/d(xs[k]): einsum(g[output], xs[j][inputs[j]] for j != k -> inputs[k]).

    Two kinds of index need a constant factor so the result has xs[k]'s shape:
    an index xs[k] repeats (x[i, i], a diagonal) gets a fresh letter tied to the first by the
    identity matrix δ; an index only xs[k] has (or that the others have only as a broadcast 1)
    gets a vector of ones, which copies g along it."""
    subscripts = [output] + [s for j, s in enumerate(inputs) if j != k]
    operands = [g] + [x for j, x in enumerate(xs) if j != k]
    sizes: dict = {}
    for s, x in zip(subscripts, operands):
        for letter, n in zip(s, x.shape):
            sizes[letter] = max(sizes.get(letter, 1), n)
    used = set("".join(inputs) + output)
    fresh = (letter for letter in _LETTERS if letter not in used)
    target, seen = "", set()
    for letter, n in zip(inputs[k], xs[k].shape):
        if letter in seen:                                # x[i, i]: g lands on the diagonal only
            tied = next(fresh)
            subscripts.append(letter + tied)
            operands.append(np.eye(n, dtype=g.dtype))
            target += tied
            continue
        seen.add(letter)
        if sizes.get(letter, 0) < n:                      # summed away in forward: copy g along it
            subscripts.append(letter)
            operands.append(np.ones(n, dtype=g.dtype))
        target += letter
    if any(isinstance(x, Tensor) for x in operands):      # create_graph: record it, for the next order
        return Einsum.apply(tuple(subscripts), target, *operands)
    return np.einsum(",".join(subscripts) + "->" + target, *operands, optimize=len(operands) > 2)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", A, B)`` is A @ B.

    Each operand gets a letter per dimension; letters shared between operands are multiplied
    along, letters left out of the output (after ``->``) are summed over. ``...`` stands for
    the leading dimensions (broadcast between operands); without ``->`` the output is the
    letters that appear once, in alphabetical order, after the ``...`` dimensions.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [np.shape(x) for x in operands]
    inputs, output = _einsum_subscripts(equation, shapes)
    return Einsum.apply(inputs, output, *operands)


def _einsum_subscripts(equation: str, shapes: list) -> tuple[tuple[str, ...], str]:
    """The equation with "..." spelled out in letters and the output made explicit."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has subscripts for {len(terms)} operand(s), "
                         f"but {len(shapes)} were given")
    for term in terms + [rhs]:
        letters = term.replace("...", "")
        if not all(c in _LETTERS for c in letters):
            raise ValueError(f"einsum: invalid subscripts {term!r} in {equation!r}; use letters a-z, A-Z "
                             "and '...' for the leading dimensions")
    spare = [c for c in _LETTERS if c not in equation]
    named = [len(t.replace("...", "")) for t in terms]
    n_ellipsis = max([len(shape) - n for t, shape, n in zip(terms, shapes, named) if "..." in t], default=0)
    ellipsis = "".join(spare[:n_ellipsis])
    inputs, sizes = [], {}
    for i, (term, shape, n) in enumerate(zip(terms, shapes, named)):
        if "..." in term and len(shape) >= n:
            term = term.replace("...", ellipsis[n_ellipsis - (len(shape) - n):])
        if len(term) != len(shape):
            raise RuntimeError(f"einsum: operand {i} has shape {tuple(shape)} ({len(shape)} dimensions), but its "
                               f"subscripts {terms[i]!r} name {n}; give one letter per dimension (or use '...')")
        for letter, size in zip(term, shape):
            known = sizes.setdefault(letter, size)
            if size != known and 1 not in (size, known):
                raise RuntimeError(f"einsum: subscript {letter!r} has size {known} in one operand and {size} in "
                                   f"operand {i} (shape {tuple(shape)}); a letter shared by operands must have "
                                   "one size")
            sizes[letter] = max(known, size)
        inputs.append(term)
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        counts = {c: "".join(inputs).count(c) for c in "".join(inputs) if c not in ellipsis}
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    for c in output:
        if c not in sizes or output.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} of {equation!r} "
                             f"{'appears twice' if c in sizes else 'is not in any operand'}")
    return tuple(inputs), output


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
    """max x over axes;  dx = g shared equally among the entries that attain the max"""
    __slots__ = ("keep_shape",)

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = x.max(axis=axes, keepdims=True)
        is_max = x == out
        share = is_max / is_max.sum(axis=axes, keepdims=True)
        ctx.save_for_backward(share)
        ctx.keep_shape = out.shape
        return out if keepdim else out.reshape(x.max(axis=axes).shape if axes is not None else ())

    @staticmethod
    def backward(ctx, g):
        share, = ctx.saved_tensors
        return g.reshape(ctx.keep_shape) * share


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


# --- shapes ---------------------------------------------------------------------------------------

class Reshape(Op):
    """x viewed with a new shape;  dx = g reshaped back"""
    __slots__ = ("in_shape",)
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Permute(Op):
    """x with its axes reordered (xᵀ for a matrix);  dx = g with the inverse order"""
    __slots__ = ("inverse",)
    is_view = True

    @staticmethod
    def forward(ctx, x, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return Permute.apply(g, ctx.inverse)
        return g.transpose(ctx.inverse)


class Expand(Op):
    """x broadcast to a larger shape (no copy);  dx = g summed over the copies (by unbroadcast)"""
    __slots__ = ()
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g


def broadcast_to(g: Any, shape: tuple) -> Any:
    """np.broadcast_to for arrays, the differentiable Expand for Tensors."""
    if isinstance(g, Tensor):
        return g if g.shape == shape else Expand.apply(g, shape)
    return np.broadcast_to(g, shape)


class Cat(Op):
    """[x₁, x₂, ...] joined along axis;  dxᵢ = the slice of g that xᵢ filled"""
    __slots__ = ("axis", "bounds")

    @staticmethod
    def forward(ctx, axis, *xs):
        ctx.axis = axis
        ctx.bounds = np.cumsum([0] + [x.shape[axis] for x in xs]).tolist()
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        b = ctx.bounds
        return (None,) + tuple(g[lead + (slice(b[i], b[i + 1]),)] for i in range(len(b) - 1))


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; the other dimensions must match."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs a non-empty list of tensors")
    shapes = [np.shape(t) for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensors cannot be joined; use stack()")
    axis = _dim(dim, ndim)
    for i, shape in enumerate(shapes):
        if len(shape) != ndim or any(a != b for j, (a, b) in enumerate(zip(shape, shapes[0])) if j != axis):
            raise RuntimeError(f"cat(): tensor {i} has shape {shape} but tensor 0 has shape {shapes[0]}; "
                               f"all dimensions except dim={axis} must match")
    return Cat.apply(axis, *tensors)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dimension."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack() needs a non-empty list of tensors; got an empty list")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack(): tensor {i} has shape {t.shape} but tensor 0 has shape "
                               f"{tensors[0].shape}; stack needs tensors of equal shape")
    axis = _dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(axis) for t in tensors], axis)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where condition holds, else y (all three broadcast together)."""
    return Where.apply(condition, x, y)


# --- indexing -------------------------------------------------------------------------------------

def _plain_index(index: Any) -> Any:
    """Tensors and lists inside an index become arrays, so NumPy reads it as NumPy would."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        array = np.asarray(index)
        return array.astype(np.intp) if array.size == 0 else array   # x[[]]: no entries (NumPy reads [] as floats)
    return index


def _is_basic(index: Any) -> bool:
    """Only ints, slices, None and ...: the result is a view and no entry repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer)) for i in items)


class Index(Op):
    """x[index];  dx = g scattered back to where it came from (repeats add up)"""
    __slots__ = ("index", "in_shape")

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return index_add(g, ctx.index, ctx.in_shape)


class IndexAdd(Op):
    """zeros(shape) with g added at index (np.add.at);  dg = G[index]  (the adjoint of Index)"""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx, G):
        return G[ctx.index]


def index_add(g: Any, index: Any, shape: tuple) -> Any:
    if isinstance(g, Tensor):
        return IndexAdd.apply(g, index, shape)
    return IndexAdd.forward(IndexAdd.__new__(IndexAdd), g, index, shape)


def index(x: Tensor, idx: Any) -> Tensor:
    idx = _plain_index(idx)
    try:
        out = Index.apply(x, idx)
    except IndexError as error:
        raise IndexError(f"index {idx!r} does not fit a tensor of shape {x.shape}: {error}") from None
    if _is_basic(idx):
        out._version = _counter(x)   # a basic index is a view: in-place edits reach x
    return out


class SetItem(Op):
    """x with x[index] = v;  dx = g with zeros at index,  dv = g[index]"""
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index = index
        out = x.copy()
        out[index] = v
        kept = np.ones(x.shape, dtype=bool)
        kept[index] = False
        ctx.save_for_backward(kept)
        return out

    @staticmethod
    def backward(ctx, g):
        kept, = ctx.saved_tensors
        return g * kept, g[ctx.index]


def setitem(x: Tensor, idx: Any, value: Any) -> None:
    """x[idx] = value: recorded (SetItem) when a tensor involved requires grad, else written in place."""
    idx = _plain_index(idx)
    recorded = _mode.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    try:
        if recorded:
            _inplace(x, None, lambda t, v: SetItem.apply(t, v, idx), value)
        else:
            x.data[idx] = value.data if isinstance(value, Tensor) else value
            _bump(x)
    except (IndexError, ValueError) as error:
        kind = IndexError if isinstance(error, IndexError) else RuntimeError
        raise kind(f"cannot assign a value of shape {np.shape(value)} to index {idx!r} of a tensor "
                   f"of shape {x.shape}: {error}") from None


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
