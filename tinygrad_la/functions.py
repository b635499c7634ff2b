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
    return x if isinstance(x, Tensor) else Tensor(x)


def abs(x: Any) -> Tensor: return _t(x).abs()                       # noqa: A001
def exp(x: Any) -> Tensor: return _t(x).exp()
def log(x: Any) -> Tensor: return _t(x).log()
def sin(x: Any) -> Tensor: return _t(x).sin()
def cos(x: Any) -> Tensor: return _t(x).cos()
def tanh(x: Any) -> Tensor: return _t(x).tanh()
def sigmoid(x: Any) -> Tensor: return _t(x).sigmoid()
def relu(x: Any) -> Tensor: return _t(x).relu()
def sqrt(x: Any) -> Tensor: return _t(x).sqrt()
def square(x: Any) -> Tensor: return _t(x).square()
def neg(x: Any) -> Tensor: return -_t(x)
def _n(x: Any, y: Any) -> Any:
    """x as it is when y is a tensor (a number operand then acts as a Python number), else as a tensor."""
    return x if isinstance(y, Tensor) else _t(x)


def add(x: Any, y: Any, *, alpha: Any = 1) -> Tensor: return _n(x, y) + (y if alpha == 1 else y * alpha)
def sub(x: Any, y: Any, *, alpha: Any = 1) -> Tensor: return _n(x, y) - (y if alpha == 1 else y * alpha)
def mul(x: Any, y: Any) -> Tensor: return _n(x, y) * y
def div(x: Any, y: Any, *, rounding_mode: Any = None) -> Tensor: return _t(x).div(y, rounding_mode=rounding_mode) if rounding_mode else _n(x, y) / y
def pow(x: Any, exponent: Any) -> Tensor: return _n(x, exponent) ** exponent   # noqa: A001
def clamp(x: Any, min: Any = None, max: Any = None) -> Tensor: return _t(x).clamp(min, max)  # noqa: A002
clip = clamp
def maximum(x: Any, y: Any) -> Tensor: return _t(x).maximum(y)
def minimum(x: Any, y: Any) -> Tensor: return _t(x).minimum(y)
def matmul(x: Any, y: Any) -> Tensor: return _t(x) @ y
def dot(x: Any, y: Any) -> Tensor: return _t(x).dot(y)
def outer(x: Any, y: Any) -> Tensor: return _t(x).outer(y)
def mm(x: Any, y: Any) -> Tensor: return _t(x).mm(y)
def bmm(x: Any, y: Any) -> Tensor: return _t(x).bmm(y)


def sum(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).sum(*args, **kwargs)   # noqa: A001
def mean(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).mean(*args, **kwargs)
def prod(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).prod(*args, **kwargs)
def var(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).var(*args, **kwargs)
def std(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).std(*args, **kwargs)
def amax(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).amax(*args, **kwargs)
def amin(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).amin(*args, **kwargs)
def max(x: Any, *args: Any, **kwargs: Any) -> Any: return _t(x).max(*args, **kwargs)      # noqa: A001
def min(x: Any, *args: Any, **kwargs: Any) -> Any: return _t(x).min(*args, **kwargs)      # noqa: A001
def argmax(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).argmax(*args, **kwargs)
def argmin(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).argmin(*args, **kwargs)
def logsumexp(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).logsumexp(*args, **kwargs)
def softmax(x: Any, dim: int = -1, dtype: Any = None) -> Tensor: return _t(x).softmax(dim, dtype)
def log_softmax(x: Any, dim: int = -1, dtype: Any = None) -> Tensor: return _t(x).log_softmax(dim, dtype)
def reshape(x: Any, shape: Any) -> Tensor: return _t(x).reshape(shape)
def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor: return _t(x).flatten(start_dim, end_dim)
def squeeze(x: Any, dim: Any = None) -> Tensor: return _t(x).squeeze(dim)
def unsqueeze(x: Any, dim: int) -> Tensor: return _t(x).unsqueeze(dim)
def transpose(x: Any, dim0: int, dim1: int) -> Tensor: return _t(x).transpose(dim0, dim1)
def permute(x: Any, dims: Any) -> Tensor: return _t(x).permute(dims)
def t(x: Any) -> Tensor: return _t(x).t()
def split(x: Any, size: Any, dim: int = 0) -> tuple[Tensor, ...]: return _t(x).split(size, dim)
def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]: return _t(x).chunk(chunks, dim)
def broadcast_to(x: Any, shape: Any) -> Tensor: return _t(x).broadcast_to(shape)
def swapaxes(x: Any, dim0: int, dim1: int) -> Tensor: return _t(x).transpose(dim0, dim1)
def sign(x: Any) -> Tensor: return _t(x).sign()
def all(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).all(*args, **kwargs)   # noqa: A001
def any(x: Any, *args: Any, **kwargs: Any) -> Tensor: return _t(x).any(*args, **kwargs)   # noqa: A001
def eq(x: Any, y: Any) -> Tensor: return _t(x) == y
def ne(x: Any, y: Any) -> Tensor: return _t(x) != y
def lt(x: Any, y: Any) -> Tensor: return _t(x) < y
def le(x: Any, y: Any) -> Tensor: return _t(x) <= y
def gt(x: Any, y: Any) -> Tensor: return _t(x) > y
def ge(x: Any, y: Any) -> Tensor: return _t(x) >= y
concat = concatenate = cat
def clone(x: Any) -> Tensor: return _t(x).clone()
def detach(x: Any) -> Tensor: return _t(x).detach()
def numel(x: Any) -> int: return _t(x).numel()
def is_tensor(x: Any) -> bool: return isinstance(x, Tensor)
def is_floating_point(x: Any) -> bool: return _t(x).is_floating_point()
def isfinite(x: Any) -> Tensor: return Tensor._make(np.isfinite(_t(x).data), None)
def isnan(x: Any) -> Tensor: return Tensor._make(np.isnan(_t(x).data), None)


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> bool:
    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, equal_nan=equal_nan))



# "Is there a GPU?" checks that PyTorch programs start with: here the answer is always no, so
# ``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU.
cuda = SimpleNamespace(is_available=lambda: False, device_count=lambda: 0,
                       manual_seed=lambda seed: None, manual_seed_all=lambda seed: None)
backends = SimpleNamespace(mps=SimpleNamespace(is_available=lambda: False, is_built=lambda: False))
accelerator = SimpleNamespace(is_available=lambda: False, current_accelerator=lambda: None,
                              device_count=lambda: 0)
