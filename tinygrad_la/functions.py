"""Module-level versions of the tensor methods, so ``torch.exp(x)`` reads ``tinygrad_la.exp(x)``."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from .core.device import device
from .ops.linalg import einsum
from .ops.movement import cat
from .tensor import Tensor

__all__ = ["abs", "all", "any", "broadcast_to", "concat", "concatenate", "eq", "ne", "lt", "le", "gt", "ge",
           "sign", "swapaxes", "allclose", "amax", "amin", "argmax", "argmin", "bmm", "chunk", "clamp", "clip",
           "clone", "cos", "cuda", "backends", "accelerator", "detach", "device", "dot", "einsum", "exp", "flatten", "is_floating_point", "is_tensor",
           "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mm",
           "mul", "add", "sub", "div", "neg", "numel", "outer", "permute", "pow", "prod", "relu",
           "reshape", "sigmoid", "sin", "softmax", "split", "sqrt", "square", "squeeze", "std", "sum",
           "t", "tanh", "transpose", "unsqueeze", "var", "isfinite", "isnan"]


def _t(x: Any) -> Tensor:
    """x itself if it is a Tensor, else a new tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def abs(x: Any) -> Tensor:  # noqa: A001
    """|x| elementwise."""
    return _t(x).abs()

def exp(x: Any) -> Tensor:
    """eˣ elementwise."""
    return _t(x).exp()

def log(x: Any) -> Tensor:
    """log x (natural) elementwise."""
    return _t(x).log()

def sin(x: Any) -> Tensor:
    """sin x elementwise."""
    return _t(x).sin()

def cos(x: Any) -> Tensor:
    """cos x elementwise."""
    return _t(x).cos()

def tanh(x: Any) -> Tensor:
    """tanh x elementwise."""
    return _t(x).tanh()

def sigmoid(x: Any) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ) elementwise."""
    return _t(x).sigmoid()

def relu(x: Any) -> Tensor:
    """max(0, x) elementwise."""
    return _t(x).relu()

def sqrt(x: Any) -> Tensor:
    """√x elementwise."""
    return _t(x).sqrt()

def square(x: Any) -> Tensor:
    """x² elementwise."""
    return _t(x).square()

def neg(x: Any) -> Tensor:
    """-x."""
    return -_t(x)

def _n(x: Any, y: Any) -> Any:
    """x as it is when y is a tensor (a number operand then acts as a Python number), else as a tensor."""
    return x if isinstance(y, Tensor) else _t(x)


def add(x: Any, y: Any, *, alpha: Any = 1) -> Tensor:
    """x + alpha·y."""
    return _n(x, y) + (y if alpha == 1 else y * alpha)

def sub(x: Any, y: Any, *, alpha: Any = 1) -> Tensor:
    """x - alpha·y."""
    return _n(x, y) - (y if alpha == 1 else y * alpha)

def mul(x: Any, y: Any) -> Tensor:
    """x * y elementwise."""
    return _n(x, y) * y

def div(x: Any, y: Any, *, rounding_mode: Any = None) -> Tensor:
    """x / y, or the quotient rounded with rounding_mode 'floor' or 'trunc'."""
    return _t(x).div(y, rounding_mode=rounding_mode) if rounding_mode else _n(x, y) / y

def pow(x: Any, exponent: Any) -> Tensor:  # noqa: A001
    """x ** exponent elementwise."""
    return _n(x, exponent) ** exponent

def clamp(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """x limited to [min, max] elementwise."""
    return _t(x).clamp(min, max)
clip = clamp
def maximum(x: Any, y: Any) -> Tensor:
    """max(x, y) elementwise."""
    return _t(x).maximum(y)

def minimum(x: Any, y: Any) -> Tensor:
    """min(x, y) elementwise."""
    return _t(x).minimum(y)

def matmul(x: Any, y: Any) -> Tensor:
    """x @ y."""
    return _t(x) @ y

def dot(x: Any, y: Any) -> Tensor:
    """Σᵢ xᵢ yᵢ of two vectors."""
    return _t(x).dot(y)

def outer(x: Any, y: Any) -> Tensor:
    """x yᵀ of two vectors."""
    return _t(x).outer(y)

def mm(x: Any, y: Any) -> Tensor:
    """The product of two matrices."""
    return _t(x).mm(y)

def bmm(x: Any, y: Any) -> Tensor:
    """The product of two batches of matrices."""
    return _t(x).bmm(y)


def sum(x: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A001
    """Σ x over dim (all entries by default); Tensor.sum's arguments."""
    return _t(x).sum(*args, **kwargs)

def mean(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Σ x / N over dim (all entries by default); Tensor.mean's arguments."""
    return _t(x).mean(*args, **kwargs)

def prod(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Π x over dim (all entries by default)."""
    return _t(x).prod(*args, **kwargs)

def var(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """The variance over dim (correction 1 by default); Tensor.var's arguments."""
    return _t(x).var(*args, **kwargs)

def std(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """√var over dim; Tensor.std's arguments."""
    return _t(x).std(*args, **kwargs)

def amax(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """The largest value over dim."""
    return _t(x).amax(*args, **kwargs)

def amin(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """The smallest value over dim."""
    return _t(x).amin(*args, **kwargs)

def max(x: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """The largest value; with an int dim, a (values, indices) pair; with a tensor, maximum."""
    return _t(x).max(*args, **kwargs)

def min(x: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A001
    """The smallest value; with an int dim, a (values, indices) pair; with a tensor, minimum."""
    return _t(x).min(*args, **kwargs)

def argmax(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Index of the largest value."""
    return _t(x).argmax(*args, **kwargs)

def argmin(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """Index of the smallest value."""
    return _t(x).argmin(*args, **kwargs)

def logsumexp(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """log Σ eˣ over dim, computed without overflow."""
    return _t(x).logsumexp(*args, **kwargs)

def softmax(x: Any, dim: int = -1, dtype: Any = None) -> Tensor:
    """pᵢ = e^sᵢ / Σⱼ e^sⱼ over dim."""
    return _t(x).softmax(dim, dtype)

def log_softmax(x: Any, dim: int = -1, dtype: Any = None) -> Tensor:
    """log pᵢ = sᵢ - logsumexp(s) over dim."""
    return _t(x).log_softmax(dim, dtype)

def reshape(x: Any, shape: Any) -> Tensor:
    """The same data in a new shape."""
    return _t(x).reshape(shape)

def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions start_dim..end_dim merged into one."""
    return _t(x).flatten(start_dim, end_dim)

def squeeze(x: Any, dim: Any = None) -> Tensor:
    """Dimensions of size 1 removed."""
    return _t(x).squeeze(dim)

def unsqueeze(x: Any, dim: int) -> Tensor:
    """A dimension of size 1 inserted at dim."""
    return _t(x).unsqueeze(dim)

def transpose(x: Any, dim0: int, dim1: int) -> Tensor:
    """Dimensions dim0 and dim1 swapped."""
    return _t(x).transpose(dim0, dim1)

def permute(x: Any, dims: Any) -> Tensor:
    """The dimensions reordered as dims."""
    return _t(x).permute(dims)

def t(x: Any) -> Tensor:
    """Xᵀ of a matrix."""
    return _t(x).t()

def split(x: Any, size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of the given size(s) along dim."""
    return _t(x).split(size, dim)

def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """`chunks` pieces of (nearly) equal size along dim."""
    return _t(x).chunk(chunks, dim)

def broadcast_to(x: Any, shape: Any) -> Tensor:
    """x broadcast to shape, without copying."""
    return _t(x).broadcast_to(shape)

def swapaxes(x: Any, dim0: int, dim1: int) -> Tensor:
    """Dimensions dim0 and dim1 swapped (transpose)."""
    return _t(x).transpose(dim0, dim1)

def sign(x: Any) -> Tensor:
    """-1, 0 or 1 by the sign of each entry."""
    return _t(x).sign()

def all(x: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A001
    """Do all entries (over dim) hold?"""
    return _t(x).all(*args, **kwargs)

def any(x: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A001
    """Does any entry (over dim) hold?"""
    return _t(x).any(*args, **kwargs)

def eq(x: Any, y: Any) -> Tensor:
    """x == y elementwise."""
    return _t(x) == y

def ne(x: Any, y: Any) -> Tensor:
    """x != y elementwise."""
    return _t(x) != y

def lt(x: Any, y: Any) -> Tensor:
    """x < y elementwise."""
    return _t(x) < y

def le(x: Any, y: Any) -> Tensor:
    """x <= y elementwise."""
    return _t(x) <= y

def gt(x: Any, y: Any) -> Tensor:
    """x > y elementwise."""
    return _t(x) > y

def ge(x: Any, y: Any) -> Tensor:
    """x >= y elementwise."""
    return _t(x) >= y
concat = concatenate = cat
def clone(x: Any) -> Tensor:
    """A copy with its own memory, still in the graph."""
    return _t(x).clone()

def detach(x: Any) -> Tensor:
    """The same data, cut from the graph."""
    return _t(x).detach()

def numel(x: Any) -> int:
    """The number of entries."""
    return _t(x).numel()

def is_tensor(x: Any) -> bool:
    """Is x a Tensor?"""
    return isinstance(x, Tensor)

def is_floating_point(x: Any) -> bool:
    """Is x's dtype a float one?"""
    return _t(x).is_floating_point()

def isfinite(x: Any) -> Tensor:
    """Which entries are finite (not inf or nan): a bool tensor."""
    return Tensor._make(np.isfinite(_t(x).data), None)

def isnan(x: Any) -> Tensor:
    """Which entries are nan: a bool tensor."""
    return Tensor._make(np.isnan(_t(x).data), None)


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    """|a - b| <= atol + rtol·|b| for every entry (NumPy's allclose, PyTorch's arguments)."""
    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan))



# "Is there a GPU?" checks that PyTorch programs start with: here the answer is always no, so
# ``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.
cuda = SimpleNamespace(is_available=lambda: False, device_count=lambda: 0,
                       manual_seed=lambda seed: None, manual_seed_all=lambda seed: None)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=lambda: False, is_built=lambda: False))
accelerator = SimpleNamespace(is_available=lambda: False, current_accelerator=lambda: None,
                              device_count=lambda: 0)
