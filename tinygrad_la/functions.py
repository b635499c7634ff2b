"""Module-level versions of the tensor methods, so ``torch.exp(x)`` reads ``tinygrad_la.exp(x)``."""
from __future__ import annotations

import builtins
import functools
import math
import warnings
from collections import namedtuple
from types import SimpleNamespace
from typing import Any, Callable, TypeVar

import numpy as np

from .core import dtypes, engine
from .core.device import _check_device, device
from .ops import elementwise, movement
from .ops.linalg import einsum
from .tensor import Tensor, vector_norm

__all__ = ["equal", "cat", "stack", "where", "abs", "all", "any", "broadcast_to", "concat", "concatenate", "eq", "ne", "lt", "le", "gt", "ge",
           "sign", "swapaxes", "allclose", "amax", "amin", "argmax", "argmin", "bmm", "chunk", "clamp", "clip",
           "clone", "cos", "cuda", "backends", "accelerator", "detach", "device", "dot", "einsum", "exp", "flatten", "is_floating_point", "is_tensor",
           "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mm",
           "mul", "add", "sub", "div", "neg", "numel", "outer", "permute", "pow", "prod", "relu",
           "reshape", "sigmoid", "sin", "softmax", "split", "sqrt", "square", "squeeze", "std", "sum",
           "t", "tanh", "transpose", "unsqueeze", "var", "isfinite", "isnan", "log1p", "expm1", "log2", "log10",
           "norm", "linalg", "set_default_device", "histc", "histogram"]


_F = TypeVar("_F", bound=Callable[..., Any])


def _takes_out(function: _F) -> _F:
    """PyTorch's `out=` on a function: the result is written into the tensor given, which is returned."""
    name = function.__name__

    @functools.wraps(function)
    def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return function(*args, **kwargs)
        return _write_out(name, out, function, args, kwargs)

    return with_out  # type: ignore[return-value]   # the same signature, plus the keyword out=


def _write_out(name: str, out: Any, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """Compute function(*args, **kwargs) and write it into out (resized if its shape differs, as PyTorch
    does, with PyTorch's warning when out held values). Every check comes before out is touched."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    given = args + tuple(kwargs.values())
    inputs = [a for a in given if isinstance(a, Tensor)] + [t for a in given if isinstance(a, (list, tuple))
                                                            for t in a if isinstance(t, Tensor)]
    if engine.is_grad_enabled() and (out.requires_grad or builtins.any(t.requires_grad for t in inputs)):
        # a result written into existing memory has no place in the graph
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad. Call it under torch.no_grad(), or leave out "
                           "out= and use the returned tensor.")
    with engine.no_grad():
        result = function(*args, **kwargs)
    if not np.can_cast(result._array.dtype, out._array.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}(): result type {result.dtype} can't be cast to the desired output type "
                           f"{out.dtype} (out=); pass an out of dtype {result.dtype}, or convert the inputs")
    if out._shape != result._shape:
        if out._base is not None:
            raise RuntimeError(f"{name}(): out= is a view of shape {out._shape}, and the result has shape "
                               f"{result._shape}; a view cannot be resized: pass a tensor of shape {result._shape}")
        if out._array.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(out._shape)}, "
                          f"which does not match the required output shape {list(result._shape)}. This behavior "
                          "is deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          "have zero elements.", UserWarning, stacklevel=3)
        out._array = np.empty(result._shape, dtype=out._array.dtype)
    with engine.no_grad():
        out.copy_(result)   # in place: its version goes up, views of it see the values
    return out


def _t(x: Any) -> Tensor:
    """x itself if it is a Tensor, else a new tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)


@_takes_out
def abs(input: Any) -> Tensor:  # noqa: A001
    """|x| elementwise."""
    return _t(input).abs()

@_takes_out
def exp(input: Any) -> Tensor:
    """eˣ elementwise."""
    return _t(input).exp()

@_takes_out
def log(input: Any) -> Tensor:
    """log x (natural) elementwise."""
    return _t(input).log()

@_takes_out
def log1p(input: Any) -> Tensor:
    """log(1 + x) elementwise, exact for small x."""
    return _t(input).log1p()

@_takes_out
def expm1(input: Any) -> Tensor:
    """eˣ - 1 elementwise, exact for small x."""
    return _t(input).expm1()

@_takes_out
def log2(input: Any) -> Tensor:
    """log₂ x elementwise."""
    return _t(input).log2()

@_takes_out
def log10(input: Any) -> Tensor:
    """log₁₀ x elementwise."""
    return _t(input).log10()

@_takes_out
def sin(input: Any) -> Tensor:
    """sin x elementwise."""
    return _t(input).sin()

@_takes_out
def cos(input: Any) -> Tensor:
    """cos x elementwise."""
    return _t(input).cos()

@_takes_out
def tanh(input: Any) -> Tensor:
    """tanh x elementwise."""
    return _t(input).tanh()

@_takes_out
def sigmoid(input: Any) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ) elementwise."""
    return _t(input).sigmoid()

def relu(input: Any) -> Tensor:
    """max(0, x) elementwise."""
    return _t(input).relu()

@_takes_out
def sqrt(input: Any) -> Tensor:
    """√x elementwise."""
    return _t(input).sqrt()

@_takes_out
def square(input: Any) -> Tensor:
    """x² elementwise."""
    return _t(input).square()

@_takes_out
def neg(input: Any) -> Tensor:
    """-x."""
    return -_t(input)

def _n(x: Any, y: Any) -> Any:
    """x as it is when y is a tensor (a number operand then acts as a Python number), else as a tensor."""
    return x if isinstance(y, Tensor) else _t(x)


@_takes_out
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """x + alpha·y."""
    return _n(input, other) + (other if alpha == 1 else other * alpha)

@_takes_out
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """x - alpha·y."""
    return _n(input, other) - (other if alpha == 1 else other * alpha)

@_takes_out
def mul(input: Any, other: Any) -> Tensor:
    """x * y elementwise."""
    return _n(input, other) * other

@_takes_out
def div(input: Any, other: Any, *, rounding_mode: Any = None) -> Tensor:
    """x / y, or the quotient rounded with rounding_mode 'floor' or 'trunc'."""
    return _t(input).div(other, rounding_mode=rounding_mode) if rounding_mode else _n(input, other) / other

@_takes_out
def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001
    """x ** exponent elementwise."""
    return _n(input, exponent) ** exponent

@_takes_out
def clamp(input: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """x limited to [min, max] elementwise."""
    return _t(input).clamp(min, max)
clip = clamp
@_takes_out
def maximum(input: Any, other: Any) -> Tensor:
    """max(x, y) elementwise."""
    return _t(input).maximum(other)

@_takes_out
def minimum(input: Any, other: Any) -> Tensor:
    """min(x, y) elementwise."""
    return _t(input).minimum(other)

@_takes_out
def matmul(input: Any, other: Any) -> Tensor:
    """x @ y."""
    return _t(input) @ other

@_takes_out
def dot(input: Any, tensor: Any) -> Tensor:
    """Σᵢ xᵢ yᵢ of two vectors."""
    return _t(input).dot(tensor)

@_takes_out
def outer(input: Any, vec2: Any) -> Tensor:
    """x yᵀ of two vectors."""
    return _t(input).outer(vec2)

@_takes_out
def mm(input: Any, mat2: Any) -> Tensor:
    """The product of two matrices."""
    return _t(input).mm(mat2)

@_takes_out
def bmm(input: Any, mat2: Any) -> Tensor:
    """The product of two batches of matrices."""
    return _t(input).bmm(mat2)


@_takes_out
def sum(input: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A001
    """Σ x over dim (all entries by default); Tensor.sum's arguments."""
    return _t(input).sum(*args, **kwargs)

@_takes_out
def mean(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Σ x / N over dim (all entries by default); Tensor.mean's arguments."""
    return _t(input).mean(*args, **kwargs)

@_takes_out
def prod(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Π x over dim (all entries by default)."""
    return _t(input).prod(*args, **kwargs)

def var(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """The variance over dim (correction 1 by default); Tensor.var's arguments."""
    return _t(input).var(*args, **kwargs)

def std(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """√var over dim; Tensor.std's arguments."""
    return _t(input).std(*args, **kwargs)

def amax(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """The largest value over dim."""
    return _t(input).amax(*args, **kwargs)

def amin(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """The smallest value over dim."""
    return _t(input).amin(*args, **kwargs)

def max(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """The largest value; with an int dim, a (values, indices) pair; with a tensor, maximum."""
    return _t(input).max(*args, **kwargs)

def min(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """The smallest value; with an int dim, a (values, indices) pair; with a tensor, minimum."""
    return _t(input).min(*args, **kwargs)

def argmax(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Index of the largest value."""
    return _t(input).argmax(*args, **kwargs)

def argmin(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Index of the smallest value."""
    return _t(input).argmin(*args, **kwargs)

def logsumexp(input: Any, *args: Any, **kwargs: Any) -> Tensor:
    """log Σ eˣ over dim, computed without overflow."""
    return _t(input).logsumexp(*args, **kwargs)

def softmax(input: Any, dim: int = -1, dtype: Any = None) -> Tensor:
    """pᵢ = e^sᵢ / Σⱼ e^sⱼ over dim."""
    return _t(input).softmax(dim, dtype)

def log_softmax(input: Any, dim: int = -1, dtype: Any = None) -> Tensor:
    """log pᵢ = sᵢ - logsumexp(s) over dim."""
    return _t(input).log_softmax(dim, dtype)

def reshape(input: Any, shape: Any) -> Tensor:
    """The same data in a new shape."""
    return _t(input).reshape(shape)

def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one."""
    return _t(input).flatten(start_dim, end_dim)

def squeeze(input: Any, dim: Any = None) -> Tensor:
    """Dimensions of size 1 removed."""
    return _t(input).squeeze(dim)

def unsqueeze(input: Any, dim: int) -> Tensor:
    """A dimension of size 1 inserted at dim."""
    return _t(input).unsqueeze(dim)

def transpose(input: Any, dim0: int, dim1: int) -> Tensor:
    """Dimensions dim0 and dim1 swapped."""
    return _t(input).transpose(dim0, dim1)

def permute(input: Any, dims: Any) -> Tensor:
    """The dimensions reordered as dims."""
    return _t(input).permute(dims)

def t(input: Any) -> Tensor:
    """Xᵀ of a matrix."""
    return _t(input).t()

def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of the given size(s) along dim."""
    return _t(tensor).split(split_size_or_sections, dim)

def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """`chunks` pieces of (nearly) equal size along dim."""
    return _t(input).chunk(chunks, dim)

def broadcast_to(input: Any, size: Any) -> Tensor:
    """x broadcast to shape, without copying."""
    return _t(input).broadcast_to(size)

def swapaxes(input: Any, axis0: int, axis1: int) -> Tensor:
    """Dimensions dim0 and dim1 swapped (transpose)."""
    return _t(input).transpose(axis0, axis1)

def sign(input: Any) -> Tensor:
    """-1, 0 or 1 by the sign of each entry."""
    return _t(input).sign()

def all(input: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A001
    """Do all entries (over dim) hold?"""
    return _t(input).all(*args, **kwargs)

def any(input: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A001
    """Does any entry (over dim) hold?"""
    return _t(input).any(*args, **kwargs)

def eq(input: Any, other: Any) -> Tensor:
    """x == y elementwise."""
    return _t(input) == other

def ne(input: Any, other: Any) -> Tensor:
    """x != y elementwise."""
    return _t(input) != other

def lt(input: Any, other: Any) -> Tensor:
    """x < y elementwise."""
    return _t(input) < other

def le(input: Any, other: Any) -> Tensor:
    """x <= y elementwise."""
    return _t(input) <= other

def gt(input: Any, other: Any) -> Tensor:
    """x > y elementwise."""
    return _t(input) > other

def ge(input: Any, other: Any) -> Tensor:
    """x >= y elementwise."""
    return _t(input) >= other
cat = _takes_out(movement.cat)
concat = concatenate = cat
stack = _takes_out(movement.stack)
where = _takes_out(elementwise.where)


def equal(input: Any, other: Any) -> bool:
    """True when the two tensors have the same shape and the same values (nan equals nothing)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"equal(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.equal(other)


def clone(input: Any) -> Tensor:
    """A copy with its own memory, still in the graph."""
    return _t(input).clone()

def detach(input: Any) -> Tensor:
    """The same data, cut from the graph."""
    return _t(input).detach()

def numel(input: Any) -> int:
    """The number of entries."""
    return _t(input).numel()

def is_tensor(obj: Any) -> bool:
    """Is x a Tensor?"""
    return isinstance(obj, Tensor)

def is_floating_point(input: Any) -> bool:
    """Is x's dtype a float one?"""
    return _t(input).is_floating_point()

def isfinite(input: Any) -> Tensor:
    """Which entries are finite (not inf or nan): a bool tensor."""
    return Tensor._make(np.isfinite(_t(input)._array), None)

def isnan(input: Any) -> Tensor:
    """Which entries are nan: a bool tensor."""
    return Tensor._make(np.isnan(_t(input)._array), None)


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """|a - b| <= atol + rtol·|b| for every entry (NumPy's allclose, PyTorch's arguments)."""
    return bool(np.allclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol, equal_nan=equal_nan))



def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of the entries in `bins` equal-width bins over [min, max] (the data's range when
    min = max = 0); entries outside are left out. In the input's dtype, no gradient (PyTorch's histc)."""
    data = _t(input)._array
    if data.dtype.kind != "f":
        raise RuntimeError(f"histc: expected a floating point input; got dtype {dtypes.public(data.dtype)}. "
                           "Convert it with .double()")
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0; got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1   # PyTorch widens an empty range by 1 on each side
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min; got min={min}, max={max}")
    counts, _ = np.histogram(data[(data >= lo) & (data <= hi)], bins=bins, range=(lo, hi))
    return Tensor(counts.astype(data.dtype))


HistogramResult = namedtuple("HistogramResult", ["hist", "bin_edges"])   # as PyTorch's (hist, bin_edges)


def histogram(input: Any, bins: Any = 100, *, range: Any = None, weight: Any = None,  # noqa: A002
              density: bool = False) -> Any:
    """(hist, bin_edges): counts (or weighted sums, or a density) in `bins` bins, an int number of
    equal bins over `range` (the data's range by default) or a tensor of edges (PyTorch's histogram)."""
    data = _t(input)._array
    if data.dtype.kind != "f":
        raise RuntimeError(f"histogram: expected a floating point input; got dtype {dtypes.public(data.dtype)}")
    edges = bins._array if isinstance(bins, Tensor) else bins
    weights = None if weight is None else _t(weight)._array
    hist, bin_edges = np.histogram(data.reshape(-1), bins=edges, range=range,
                                   weights=None if weights is None else weights.reshape(-1), density=density)
    return HistogramResult(Tensor(hist.astype(data.dtype)), Tensor(bin_edges.astype(data.dtype)))


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """The p-norm over dim, all entries by default ("fro": p = 2); see Tensor.norm."""
    return _t(input).norm(p, dim, keepdim)


def _linalg_vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """‖x‖_ord over dim (all entries by default): ord 2, 1, inf, -inf, 0 or any p."""
    return vector_norm(_t(x), ord, dim, keepdim)


def _linalg_norm(input: Any, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """PyTorch's ``linalg.norm``: with ord None the 2-norm of all entries (or over dim); for a
    vector (1-D, or one dim) the vector ord-norm; for a matrix (2-D, or two dims) 'fro', 1 and -1
    (largest and smallest column sum of |a|), inf and -inf (row sums). The spectral and nuclear
    norms (2, -2, 'nuc') need singular values, which there is no op for: they raise."""
    x = _t(input)
    if ord is None:
        return vector_norm(x, 2, dim, keepdim)
    dims = (dim,) if isinstance(dim, int) else tuple(dim) if dim is not None else None
    if dims is None:
        if x.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: with ord={ord!r} and no dim, the input must be 1-D or 2-D; "
                               f"got {x.ndim}-D (give dim, or use linalg.vector_norm)")
        dims = tuple(range(x.ndim))
    if len(dims) == 1:
        return vector_norm(x, ord, dims[0], keepdim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.norm: dim must have 1 or 2 entries; got {dim!r}")
    if ord == "fro":
        return vector_norm(x, 2, dims, keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        rows, cols = (d % x.ndim for d in dims)
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = x.abs().sum(summed, keepdim=True)
        out = sums.amax(over, keepdim=True) if ord > 0 else sums.amin(over, keepdim=True)
        return out if keepdim else out.squeeze(cols if cols > rows else rows).squeeze(rows if cols > rows else cols)
    raise NotImplementedError(f"linalg.norm: the matrix norm ord={ord!r} needs singular values, which "
                              "tinygrad_la has no op for; use 'fro', 1, -1, inf or -inf")


# torch.linalg.norm(x), torch.linalg.vector_norm(x, ord=1): a namespace, as PyTorch's submodule reads
linalg = SimpleNamespace(norm=_linalg_norm, vector_norm=_linalg_vector_norm)


def set_default_device(device: Any) -> None:
    """Accept the CPU (the only device): ``"cuda"`` and others raise, as making a tensor there would."""
    _check_device(device)


# "Is there a GPU?" checks that PyTorch programs start with: here the answer is always no, so
# ``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.
cuda = SimpleNamespace(is_available=lambda: False, device_count=lambda: 0,
                       manual_seed=lambda seed: None, manual_seed_all=lambda seed: None)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=lambda: False, is_built=lambda: False))
accelerator = SimpleNamespace(is_available=lambda: False, current_accelerator=lambda: None,
                              device_count=lambda: 0)
