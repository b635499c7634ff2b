"""Matrix products: A @ B (chapter 23.10: Z = X Wᵀ, dA = G Bᵀ, dB = Aᵀ G) and einsum, its general form.

A sum of products is linear in each factor, so each backward is again a product: the gradient
arriving from above multiplied by the other factors. Notation as in elementwise.py: `g` is
d(loss)/d(output); batch dimensions that broadcast are summed back by core/function.py's
unbroadcast. Below the ops, the Tensor methods that call them (`LinalgMethods`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import dtypes
from ..core.function import Op
from ..core.tensor_base import TensorBase
from .elementwise import _operands
from .movement import MovementMethods, SqueezeRow, UnsafeView

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["LinalgMethods", "matmul", "einsum"]


# --- matrix multiplication (chapter 23.10: Z = X Wᵀ) ------------------------------------------------

class MatMul(Op):
    """A @ B with NumPy's rules;  dA = G Bᵀ,  dB = Aᵀ G  (batch dims summed by unbroadcast)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
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


# PyTorch's matmul picks a kernel by the operands' dimensions, and its node is named after it
class Mm(MatMul):
    """A @ B of two matrices"""
    __slots__ = ()


class Mv(MatMul):
    """A @ x of a matrix and a vector"""
    __slots__ = ()


class Dot(MatMul):
    """x · y of two vectors"""
    __slots__ = ()


class Bmm(MatMul):
    """A @ B of two batches of matrices"""
    __slots__ = ()


def matmul(a: Any, b: Any) -> Any:
    """A @ B, with an error that names both shapes when they do not fit."""
    ndim_a, ndim_b = _check_matmul(a, b)
    if ndim_a <= 2 and ndim_b <= 2:
        out = (Dot if ndim_a == ndim_b == 1 else Mv if ndim_b == 1 else Mm).apply(a, b)
        view: type[Op] | None = SqueezeRow if ndim_a == 1 and ndim_b == 2 else None   # PyTorch: (1, k) @ B, then squeezed
    else:   # PyTorch folds the batch into the rows where it can, multiplies, and views the result back
        out = (Mv if ndim_a == 1 or ndim_b == 1 else Mm if ndim_b == 2 else Bmm).apply(a, b)
        view = UnsafeView
    if view is None or out.grad_fn is None:
        return out
    return view.apply(out, out.shape)   # the view PyTorch's graph shows on top (no copy, no change)


def _check_matmul(a: Any, b: Any) -> tuple[int, int]:
    """The operands' numbers of dimensions, once their shapes and dtypes are known to fit."""
    a_shape, b_shape = tuple(np.shape(a)), tuple(np.shape(b))
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise RuntimeError(f"matmul needs tensors with at least 1 dimension; got shapes {a_shape} and "
                           f"{b_shape}. Use * to multiply by a scalar.")
    k_a = a_shape[-1]
    k_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: shapes {a_shape} and {b_shape} cannot be multiplied: the last dimension "
                           f"of the first ({k_a}) must equal the {'only' if len(b_shape) == 1 else 'second-to-last'} "
                           f"dimension of the second ({k_b}). Transpose one of them (.T) or check the layer sizes.")
    a_dtype, b_dtype = _dtype_of(a), _dtype_of(b)
    if a_dtype != b_dtype and a_dtype is not None and b_dtype is not None:
        # PyTorch multiplies matrices of one dtype only: a float32 @ float64 mix is a mistake to report
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {dtypes.public(a_dtype)} != "
                           f"{dtypes.public(b_dtype)} (matmul of shapes {a_shape} and {b_shape}). Convert one of them, "
                           "e.g. a.to(b.dtype), or make the model and the data agree (model.double(), x.float()).")
    return len(a_shape), len(b_shape)


def _dtype_of(x: Any) -> np.dtype[Any] | None:
    """The dtype of a tensor or array operand (None for a list of Python numbers, which adapts)."""
    if isinstance(x, TensorBase):
        return x._array.dtype
    return x.dtype if isinstance(x, np.ndarray) else None


# --- einsum: sums of products of indexed arrays -----------------------------------------------------

class Einsum(Op):
    """out[output] = Σ Πₖ xₖ[inputsₖ] (np.einsum, subscripts already explicit: no "...", an output);
    dxₖ = einsum of g[output] and the other inputs, out to xₖ's subscripts. The sum of products is
    linear in each xₖ, so its adjoint is again an einsum: the roles of xₖ and the output swap."""
    __slots__ = ("inputs", "output")

    @staticmethod
    def forward(ctx: Any, inputs: tuple[str, ...], output: str, *xs: Any) -> np.ndarray:
        ctx.inputs, ctx.output = inputs, output
        ctx.save_for_backward(*xs)
        return np.einsum(",".join(inputs) + "->" + output, *xs, optimize=len(xs) > 2)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        xs = ctx.saved_tensors
        return (None, None) + tuple(_einsum_adjoint(ctx.inputs, ctx.output, xs, g, k) if needed else None
                                    for k, needed in enumerate(ctx.needs_input_grad[2:]))


def _einsum_adjoint(inputs: tuple[str, ...], output: str, xs: tuple[Any, ...], g: Any, k: int) -> Any:
    """d(loss)/d(xs[k]): einsum(g[output], xs[j][inputs[j]] for j != k -> inputs[k]).

    Two kinds of index need a constant factor so the result has xs[k]'s shape:
    an index xs[k] repeats (x[i, i], a diagonal) gets a fresh letter tied to the first by the
    identity matrix δ; an index only xs[k] has (or that the others have only as a broadcast 1)
    gets a vector of ones, which copies g along it."""
    subscripts = [output] + [s for j, s in enumerate(inputs) if j != k]
    operands = [g] + [x for j, x in enumerate(xs) if j != k]
    sizes: dict[str, int] = {}
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
    if any(isinstance(x, TensorBase) for x in operands):      # create_graph: record it, for the next order
        return Einsum.apply(tuple(subscripts), target, *operands)
    return np.einsum(",".join(subscripts) + "->" + target, *operands, optimize=len(operands) > 2)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(equation: str, *operands: Any) -> Any:
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", A, B)`` is A @ B.

    Each operand gets a letter per dimension; letters shared between operands are multiplied
    along, letters left out of the output (after ``->``) are summed over. ``...`` stands for
    the leading dimensions (broadcast between operands); without ``->`` the output is the
    letters that appear once, in alphabetical order, after the ``...`` dimensions.
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    shapes = [tuple(np.shape(x)) for x in operands]
    inputs, output = _einsum_subscripts(equation, shapes)
    return Einsum.apply(inputs, output, *operands)


def _einsum_subscripts(equation: str, shapes: list[tuple[int, ...]]) -> tuple[tuple[str, ...], str]:
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
    inputs: list[str] = []
    sizes: dict[str, int] = {}
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


# --- the Tensor methods ---------------------------------------------------------------------------

class LinalgMethods(MovementMethods):
    """Tensor's matrix products (Tensor inherits them; see tensor.py)."""

    __slots__ = ()

    def __matmul__(self, other: Any) -> Self:
        """A @ B (NumPy's and PyTorch's matmul rules);  dA = G Bᵀ, dB = Aᵀ G."""
        return matmul(*_operands(self, other))

    def __rmatmul__(self, other: Any) -> Self:
        """B @ A, for an array on the left."""
        return matmul(*_operands(other, self))

    def matmul(self, other: Any) -> Self:
        """A @ B: the matrix product, batched and broadcast over leading dimensions."""
        return self @ other

    def mm(self, other: Any) -> Self:
        """Matrix product of two 2-D tensors (``matmul`` takes other shapes)."""
        _check_ndims("mm", self, other, 2, "Use matmul (or @) for other shapes.")
        return self @ other

    def bmm(self, other: Any) -> Self:
        """Batched matrix product: (B, n, m) @ (B, m, p) -> (B, n, p), no broadcasting."""
        _check_ndims("bmm", self, other, 3, "Use matmul (or @) to broadcast batch dimensions.")
        if self.shape[0] != np.shape(other)[0]:
            raise RuntimeError(f"bmm expects two batches of the same size; got shapes {tuple(self.shape)} and "
                               f"{tuple(np.shape(other))}. Use matmul (or @) to broadcast batch dimensions.")
        a, b = _operands(self, other)
        _check_matmul(a, b)
        return Bmm.apply(a, b)   # one node, as PyTorch's bmm (matmul views its result back)

    def dot(self, other: Any) -> Self:
        """Σᵢ xᵢ yᵢ of two 1-D tensors of the same length."""
        _check_ndims("dot", self, other, 1, "Use matmul (or @) for matrices.")
        return self @ other

    def outer(self, other: Any) -> Self:
        """x yᵀ of two 1-D tensors: out[i, j] = x[i]·y[j]."""
        _check_ndims("outer", self, other, 1, "Flatten them first (.reshape(-1)).")
        return self.reshape(-1, 1) * (other if isinstance(other, MovementMethods) else TensorBase._results(other)).reshape(1, -1)


def _check_ndims(name: str, a: Any, b: Any, ndim: int, hint: str) -> None:
    shape_a, shape_b = tuple(np.shape(a)), tuple(np.shape(b))
    if len(shape_a) != ndim or len(shape_b) != ndim:
        raise RuntimeError(f"{name} expects two {ndim}-D tensors; got shapes {shape_a} and {shape_b}. {hint}")
