"""Tensor: a NumPy array that remembers how it was computed (PyTorch's ``torch.Tensor``).

This is where the layers below meet. The engine's part of a tensor (data, grad, backward, hooks)
is core/tensor_base.py; each family of ops in ops/ adds its methods as a mixin built on the one
before, in reading order:

    TensorBase            core/tensor_base.py   data, grad, backward(), hooks, detach
    ElementwiseMethods    ops/elementwise.py    + - * / **, exp, log, tanh, sigmoid, relu, clamp, ...
    MovementMethods       ops/movement.py       reshape, permute, expand, cat, indexing
    LinalgMethods         ops/linalg.py         @, mm, bmm, dot, outer
    ReductionMethods      ops/reductions.py     sum, mean, var, max, logsumexp, softmax
    InPlaceMethods        ops/inplace.py        add_, mul_, fill_, x[i] = v, and views changed in place
    Tensor                this file             reading values out, printing, dtype conversion

Every op's result is a Tensor (`makes_results=True` below says so to the core).
"""
from __future__ import annotations

import builtins
import math
from typing import Any, Iterator

import numpy as np

from . import printing
from .core import dtypes
from .core import device as devices
from .core.device import _check_device
from .core.engine import _mode
from .core.function import Function
from .core.random import sample_multinomial
from .core.tensor_base import TensorBase
from .ops.elementwise import (Abs, Add, Cast, Clone, Cos, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, Sin, Sqrt,
                              Sub, Tanh, _operands, where)
from .ops.inplace import InPlaceMethods
from .ops.linalg import matmul

__all__ = ["Tensor", "vector_norm"]


class Tensor(InPlaceMethods, makes_results=True):
    """An n-dimensional array with reverse-mode autodiff (PyTorch's ``torch.Tensor``)."""

    __slots__ = ()

    @property
    def device(self) -> devices.device:
        """Where the data lives: always the CPU."""
        return devices.cpu

    @property
    def is_cuda(self) -> builtins.bool:
        """False: there is no GPU here."""
        return False

    # --- reading values out --------------------------------------------------------------------

    def _read_out(self, how: str) -> None:
        # a compiled step cannot replay a value read into Python: the tracer refuses it
        if _mode.tracer is not None:
            _mode.tracer.concrete(self, how)

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        self._read_out("item()")
        if self._array.size != 1:
            raise RuntimeError(f"item() needs a tensor with one element; this one has shape {tuple(self.shape)} "
                             f"({self._array.size} elements). Index it or reduce it (.sum(), .mean()) first.")
        return self._array.item()

    def numpy(self) -> np.ndarray:
        """The underlying array itself (no copy), also for tensors that require grad."""
        self._read_out("numpy()")
        return self._array

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers."""
        self._read_out("tolist()")
        return self._array.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The data for NumPy (``np.asarray(t)``), converted to `dtype` if given."""
        self._read_out("np.asarray()")
        return self._array if dtype is None else self._array.astype(dtype, copy=False)

    def __len__(self) -> int:
        """The size of the first dimension."""
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        """The slices t[0], t[1], ... along the first dimension."""
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __bool__(self) -> builtins.bool:
        """The truth of a one-element tensor (``if t:``)."""
        self._read_out("bool()")
        if self._array.size != 1:
            raise RuntimeError(f"The truth value of a tensor with {self._array.size} elements is "
                               "ambiguous; use .any() or .all()")
        return builtins.bool(self._array)

    def __float__(self) -> builtins.float:
        """The value of a one-element tensor as a float."""
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        """The value of a one-element tensor as an int."""
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        """The value of a one-element integer tensor, for use as an index."""
        if self._array.dtype.kind not in "iub" or self._array.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index; "
                            f"got dtype {self.dtype} and shape {tuple(self.shape)}")
        return builtins.int(self._array)

    def __repr__(self) -> str:
        """PyTorch's look: ``tensor([1., 2.], requires_grad=True)`` (see printing.py)."""
        grad_fn = self.grad_fn
        return printing.tensor_repr(self._array, cls=type(self), requires_grad=self.requires_grad,
                                    grad_fn=None if grad_fn is None else grad_fn.name())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats its number, as PyTorch does (f"{loss}" prints the float's digits,
        f"{loss:.4f}" four decimals); any other tensor, or a subclass's, formats as its str, spec-less."""
        if self._array.ndim == 0 and type(self) is Tensor:
            return format(self._array.item(), spec)
        if spec:   # PyTorch hands these to object.__format__, which takes no spec
            name = type(self).__name__
            raise TypeError(f"unsupported format string passed to {name}.__format__: a spec ({spec!r}) formats "
                            f"the number of a 0-d Tensor, and this is a {name} of shape {tuple(self.shape)}; "
                            "format x.item() or x.tolist() instead")
        return str(self)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # np.exp(t), array * t, ... run our differentiable ops (and give Tensors back)
        """np.exp(t), array * t, ...: NumPy's ufuncs run the differentiable ops and give Tensors."""
        op = UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if op is None:
            raise TypeError(f"np.{ufunc.__name__} ({method}) has no differentiable version in tinygrad_la; "
                            "call it on tensor.numpy() for a plain array, or use the tensor method")
        return op(*inputs)

    # --- conversion ----------------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)`` converts (differentiably between floats); ``to("cpu")`` is a no-op."""
        dtype = _target_dtype(args, kwargs)
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        return Cast.apply(self, np.dtype(dtype))

    def type(self, dtype: Any = None) -> Any:
        """The legacy type name with no argument (``tinygrad_la.FloatTensor``); with a dtype, the tensor
        converted to it."""
        return dtypes.tensor_type_name(self._array.dtype) if dtype is None else self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        """Converted to `other`'s dtype."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        """Converted to float32."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """Converted to float64."""
        return self.to(np.float64)

    def half(self) -> Tensor:
        """Converted to float16."""
        return self.to(np.float16)

    def long(self) -> Tensor:
        """Converted to int64 (no gradient flows through to an integer tensor)."""
        return self.to(np.int64)

    def int(self) -> Tensor:
        """Converted to int32."""
        return self.to(np.int32)

    def bool(self) -> Tensor:
        """Converted to bool."""
        return self.to(np.bool_)

    def cpu(self) -> Tensor:
        """The tensor itself: it is on the CPU already."""
        return self

    def cuda(self, device: Any = None, **kwargs: Any) -> Tensor:
        """Raises: there is no GPU here (the error says how to stay on the CPU)."""
        _check_device("cuda" if device is None else f"cuda:{device}")
        return self

    def contiguous(self) -> Tensor:
        """The tensor itself (NumPy handles any memory layout)."""
        return self

    def clone(self) -> Tensor:
        """A copy with its own memory, still in the graph;  dx = g."""
        return Clone.apply(self)

    def is_floating_point(self) -> builtins.bool:
        """Is the dtype a float one (the only kind that can require grad)?"""
        return self._array.dtype.kind == "f"

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        """The p-norm (‖x‖_p = (Σ|x|ᵖ)^(1/p)) over dim, all entries by default; "fro" is p = 2
        (PyTorch's ``Tensor.norm``). Gradients at 0 are PyTorch's: 0, not nan."""
        if isinstance(p, str):
            if p != "fro":
                raise RuntimeError(f"norm: p={p!r} is not supported here; use 'fro' or a number")
            p = 2
        return vector_norm(self, p, dim, keepdim)

    def multinomial(self, num_samples: builtins.int, replacement: builtins.bool = False, *,
                    generator: Any = None) -> Tensor:
        """Indices drawn from this tensor's rows of weights (see tinygrad_la.multinomial); int64."""
        drawn: Tensor = TensorBase._make(sample_multinomial(self._array, num_samples, replacement, generator), None)
        return drawn

    def draw(self, **kwargs: Any) -> Any:
        """The computation graph that made this tensor, as a graphviz picture (see viz.py)."""
        from .viz import draw_graph
        return draw_graph(self, **kwargs)


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:  # noqa: A002
    """‖x‖_ord over dim (all entries by default), composed from the elementwise ops and reductions:
    ord = 2: √Σx², 1: Σ|x|, inf: max|x|, -inf: min|x|, 0: the number of nonzero entries (no
    gradient), any other p: (Σ|x|ᵖ)^(1/p). Where a power's slope is infinite at 0 (√s at s = 0,
    |x|ᵖ for p < 1), the entry is routed around the power so its gradient is PyTorch's 0, not 0·inf."""
    if not x.is_floating_point():
        raise RuntimeError(f"linalg.vector_norm: expected a floating point tensor, got dtype {x.dtype}")
    ord = builtins.float(ord)
    if ord == math.inf:
        return x.abs().amax(dim, keepdim)
    if ord == -math.inf:
        return x.abs().amin(dim, keepdim)
    if ord == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim).detach()
    if ord == 1:
        return x.abs().sum(dim, keepdim)
    if ord == 2:
        return _power_off_zero((x * x).sum(dim, keepdim), 0.5)
    return _power_off_zero(_power_off_zero(x.abs(), ord).sum(dim, keepdim), 1 / ord)


def _power_off_zero(a: Tensor, p: builtins.float) -> Tensor:
    """aᵖ for a >= 0, whose gradient at a = 0 is 0: the zeros take the power of 1 and are replaced
    by 0 after it, so no infinite slope meets the zero gradient there."""
    zero = a == 0   # a recorded comparison (not a look at the data), so a compiled step replays it
    return where(zero, 0.0, where(zero, 1.0, a) ** p)


def _binary(op: type[Function]) -> Any:
    """`op` on two operands promoted as PyTorch does (a NumPy scalar acts like a Python number)."""
    return lambda a, b: op.apply(*_operands(a, b))


# NumPy's ufuncs on Tensors (np.exp(t), array * t) run the differentiable ops
UFUNCS = {
    np.add: _binary(Add), np.subtract: _binary(Sub), np.multiply: _binary(Mul), np.true_divide: _binary(Div),
    np.power: _binary(Pow), np.negative: Neg.apply, np.maximum: _binary(Maximum), np.minimum: _binary(Minimum),
    np.exp: Exp.apply, np.log: Log.apply, np.sin: Sin.apply, np.cos: Cos.apply, np.tanh: Tanh.apply,
    np.sqrt: Sqrt.apply, np.absolute: Abs.apply, np.matmul: matmul,
    np.equal: lambda a, b: Tensor(a) == b, np.not_equal: lambda a, b: Tensor(a) != b,
    np.less: lambda a, b: Tensor(a) < b, np.less_equal: lambda a, b: Tensor(a) <= b,
    np.greater: lambda a, b: Tensor(a) > b, np.greater_equal: lambda a, b: Tensor(a) >= b,
}


def _target_dtype(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The dtype asked for by ``to(...)``'s PyTorch forms: to(dtype), to(device), to(tensor),
    to(device, dtype), to(dtype=..., device=...); a device other than the CPU raises."""
    dtype = kwargs.get("dtype")
    for arg in args + tuple(v for k, v in kwargs.items() if k == "device"):
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_device(arg):
            _check_device(arg)
        elif arg is not None:
            dtype = arg
    return dtype


def _is_device(arg: Any) -> builtins.bool:
    return isinstance(arg, str) or type(arg).__name__ == "device"
