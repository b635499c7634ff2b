"""Tensor: a NumPy array that remembers how it was computed.

`data` is the array itself (no copy); `grad_fn` is the Function node that made it (None for a
leaf: data you created); `grad` receives d(loss)/d(this tensor) when `backward()` runs. All the
differentiable math lives in ops.py; this file is the user-facing shape of it: construction,
what a tensor is, operators and elementwise methods with PyTorch's names, conversion.

The longer families of methods sit in files of their own, and Tensor inherits them:
tensor_autograd.py (backward, hooks, detach), tensor_reductions.py (sum, max, softmax, ...),
tensor_shapes.py (reshape, permute, split, indexing) and tensor_inplace.py (add_, fill_, ... and
the in-place rules with their version counters).
"""
from __future__ import annotations

import builtins
import numbers
from typing import Any, Callable, Iterator

import numpy as np

from . import dtypes
from .engine import _mode
# the method families Tensor is built on, and their helpers that other modules import from here
from .tensor_autograd import _Autograd, _HookHandle, _run_hooks, _seed_gradient  # noqa: F401
from .tensor_inplace import _InPlace, _bump, _clock, _counter, _filled, _inplace  # noqa: F401
from .tensor_reductions import (_Reductions, _arg_reduce, _count, _needs_float,  # noqa: F401
                                _nonempty, _reduced_shape, _reduction_args)
from .tensor_shapes import _Shapes, Shape, _dim, _infer_shape, _shape_arg  # noqa: F401


class Tensor(_Autograd, _Reductions, _Shapes, _InPlace):
    """An n-dimensional array with reverse-mode autodiff (PyTorch's ``torch.Tensor``)."""

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "_version", "_hooks", "_base", "_view_of",
                 "__weakref__")

    __array_priority__ = 1000   # NumPy defers to us in mixed expressions: array * tensor -> Tensor
    _parents = ()               # as a graph node, a leaf has no parents (see engine.py)

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _as_array(data, dtype)
        self._grad = None
        self._requires_grad = False
        self.grad_fn = None
        self._version = None   # a version counter, made on the first in-place change (see _bump)
        self._hooks = None
        self._base = None      # for a view: the tensor whose memory it shares (see tensor_inplace.py)
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data: np.ndarray, grad_fn: Any) -> Tensor:
        """Fast internal constructor: `data` is already an array."""
        t = object.__new__(cls)
        t.data = data
        t._grad = None
        t._requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t._version = None
        t._hooks = None
        t._base = None
        return t

    # --- what it is ----------------------------------------------------------------------------

    @property
    def shape(self) -> Shape:
        return self.data.shape

    _shape = shape   # the name the engine's node protocol uses

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    _dtype = dtype   # as a graph node, like Function._dtype

    @property
    def device(self) -> dtypes.device:
        return dtypes.cpu

    @property
    def is_cuda(self) -> builtins.bool:
        return False

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created (not computed by a recorded op)."""
        return not self.requires_grad or self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        if self._base is not None and self._base.grad_fn is not self._view_of:
            _refresh_view(self)   # a view whose base was changed in place since it was made
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = builtins.bool(flag)
        if flag and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"Only floating point tensors can require gradients; this tensor has dtype "
                f"{self.data.dtype}. Convert it first, e.g. x.float() or x.double(), or create it "
                "with dtype=float64.")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; this one was "
                               f"computed by {self.grad_fn.name()}. Use .detach() to get a tensor "
                               "that does not require grad.")
        self._requires_grad = flag

    @property
    def grad(self) -> Tensor | None:
        """d(loss)/d(this tensor) after backward(): filled for leaves (and retain_grad() tensors)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if _mode.tracer is not None:
            _mode.tracer.set_grad(self, value)
        if value is not None:
            if not isinstance(value, Tensor):
                value = Tensor(value)
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape}, but the tensor has shape "
                                   f"{self.shape}; a gradient must have its tensor's shape")
            if value.dtype.kind != self.data.dtype.kind:
                raise RuntimeError(f"assigned grad has dtype {value.dtype}, but the tensor has dtype "
                                   f"{self.dtype}; a gradient must be of its tensor's kind (floating point)")
        self._grad = value

    def size(self, dim: int | None = None) -> Any:
        """The shape (PyTorch's ``size()``), or the length of one dimension."""
        if dim is None:
            return self.data.shape
        return self.data.shape[_dim(dim, self.ndim)]

    def numel(self) -> int:
        return self.data.size

    def dim(self) -> int:
        return self.data.ndim

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if _mode.tracer is not None:
            _mode.tracer.concrete(self, "item()")
        if self.data.size != 1:
            raise RuntimeError(f"item() needs a tensor with one element; this one has shape {self.shape} "
                             f"({self.data.size} elements). Index it or reduce it (.sum(), .mean()) first.")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array itself (no copy), also for tensors that require grad."""
        if _mode.tracer is not None:
            _mode.tracer.concrete(self, "numpy()")
        return self.data

    def tolist(self) -> Any:
        if _mode.tracer is not None:
            _mode.tracer.concrete(self, "tolist()")
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if _mode.tracer is not None:
            _mode.tracer.concrete(self, "np.asarray()")
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> builtins.bool:
        if _mode.tracer is not None:
            _mode.tracer.concrete(self, "bool()")
        if self.data.size != 1:
            raise RuntimeError(f"The truth value of a tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return builtins.bool(self.data)

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index; "
                            f"got dtype {self.dtype} and shape {self.shape}")
        return builtins.int(self.data)

    __hash__ = object.__hash__   # == is elementwise, so hash by identity, as PyTorch does

    def __repr__(self) -> str:
        data = self.data
        whole = data.dtype.kind != "f" or bool(np.all(np.mod(data[np.isfinite(data)], 1) == 0))
        # PyTorch's look: whole numbers as "2.", others with 4 decimals ("0.4200")
        body = np.array2string(data, separator=", ", prefix="tensor(", precision=4,
                               floatmode="maxprec_equal" if whole else "fixed")
        extras = []
        if self.data.dtype not in (dtypes.get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" formats a one-element tensor's value, as PyTorch does."""
        if spec and self.data.ndim == 0:
            return format(self.data.item(), spec)
        return format(repr(self), spec)

    # --- arithmetic (chapter 23.1: z = w·x + b is made of these) -------------------------------

    def __add__(self, other: Any) -> Tensor: return _ops.Add.apply(*_operands(self, other))
    def __radd__(self, other: Any) -> Tensor: return _ops.Add.apply(*_operands(other, self))
    def __sub__(self, other: Any) -> Tensor: return _ops.Sub.apply(*_operands(self, other))
    def __rsub__(self, other: Any) -> Tensor: return _ops.Sub.apply(*_operands(other, self))
    def __mul__(self, other: Any) -> Tensor: return _ops.Mul.apply(*_operands(self, other))
    def __rmul__(self, other: Any) -> Tensor: return _ops.Mul.apply(*_operands(other, self))
    def __truediv__(self, other: Any) -> Tensor: return _ops.Div.apply(*_operands(self, other))
    def __rtruediv__(self, other: Any) -> Tensor: return _ops.Div.apply(*_operands(other, self))
    def __pow__(self, other: Any) -> Tensor: return _ops.Pow.apply(*_operands(self, other))
    def __rpow__(self, other: Any) -> Tensor: return _ops.Pow.apply(*_operands(other, self))
    def __neg__(self) -> Tensor: return _ops.Neg.apply(self)
    def __pos__(self) -> Tensor: return self
    def __abs__(self) -> Tensor: return _ops.Abs.apply(self)

    def __matmul__(self, other: Any) -> Tensor: return _ops.matmul(*_operands(self, other))
    def __rmatmul__(self, other: Any) -> Tensor: return _ops.matmul(*_operands(other, self))

    def __floordiv__(self, other: Any) -> Tensor: return _constant(np.floor_divide, self, other)
    def __mod__(self, other: Any) -> Tensor: return _ops.Remainder.apply(*_operands(self, other))
    def __rmod__(self, other: Any) -> Tensor: return _ops.Remainder.apply(*_operands(other, self))

    # comparisons give bool tensors that never require grad
    def __eq__(self, other: Any) -> Tensor: return _constant(np.equal, self, other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return _constant(np.not_equal, self, other)  # type: ignore[override]
    def __lt__(self, other: Any) -> Tensor: return _constant(np.less, self, other)
    def __le__(self, other: Any) -> Tensor: return _constant(np.less_equal, self, other)
    def __gt__(self, other: Any) -> Tensor: return _constant(np.greater, self, other)
    def __ge__(self, other: Any) -> Tensor: return _constant(np.greater_equal, self, other)
    def __and__(self, other: Any) -> Tensor: return _constant(np.logical_and if self.dtype == np.bool_ else np.bitwise_and, self, other)
    def __or__(self, other: Any) -> Tensor: return _constant(np.logical_or if self.dtype == np.bool_ else np.bitwise_or, self, other)
    def __invert__(self) -> Tensor: return _constant(np.logical_not if self.dtype == np.bool_ else np.invert, self)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__   # PyTorch's method names

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # np.exp(t), array * t, ... run our differentiable ops (and give Tensors back)
        op = _ops.UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if op is None:
            raise TypeError(f"np.{ufunc.__name__} ({method}) has no differentiable version in tinygrad_la; "
                            "call it on tensor.numpy() for a plain array, or use the tensor method")
        return op(*inputs)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor: return self * other
    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        """x / y; with rounding_mode "floor" or "trunc" the quotient rounded (gradient 0)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"{rounding_mode!r}")
        return _ops.RoundedDiv.apply(*_operands(self, other), rounding_mode)

    def remainder(self, other: Any) -> Tensor: return self % other
    def pow(self, exponent: Any) -> Tensor: return self ** exponent
    def neg(self) -> Tensor: return -self
    def matmul(self, other: Any) -> Tensor: return self @ other

    def mm(self, other: Any) -> Tensor:
        """Matrix product of two 2-D tensors (``matmul`` takes other shapes)."""
        _check_ndims("mm", self, other, 2, "Use matmul (or @) for other shapes.")
        return self @ other

    def bmm(self, other: Any) -> Tensor:
        """Batched matrix product: (B, n, m) @ (B, m, p) -> (B, n, p), no broadcasting."""
        _check_ndims("bmm", self, other, 3, "Use matmul (or @) to broadcast batch dimensions.")
        if self.shape[0] != np.shape(other)[0]:
            raise RuntimeError(f"bmm expects two batches of the same size; got shapes {self.shape} and "
                               f"{np.shape(other)}. Use matmul (or @) to broadcast batch dimensions.")
        return self @ other

    def dot(self, other: Any) -> Tensor:
        """Σᵢ xᵢ yᵢ of two 1-D tensors of the same length."""
        _check_ndims("dot", self, other, 1, "Use matmul (or @) for matrices.")
        return self @ other

    def outer(self, other: Any) -> Tensor:
        """x yᵀ of two 1-D tensors: out[i, j] = x[i]·y[j]."""
        _check_ndims("outer", self, other, 1, "Flatten them first (.reshape(-1)).")
        return self.reshape(-1, 1) * _as_tensor(other).reshape(1, -1)

    # --- elementwise functions -----------------------------------------------------------------

    def exp(self) -> Tensor: return _ops.Exp.apply(self)
    def log(self) -> Tensor: return _ops.Log.apply(self)
    def sin(self) -> Tensor: return _ops.Sin.apply(self)
    def cos(self) -> Tensor: return _ops.Cos.apply(self)
    def tanh(self) -> Tensor: return _ops.Tanh.apply(self)
    def sigmoid(self) -> Tensor: return _ops.Sigmoid.apply(self)
    def relu(self) -> Tensor: return _ops.ReLU.apply(self)
    def abs(self) -> Tensor: return _ops.Abs.apply(self)
    def sqrt(self) -> Tensor: return _ops.Sqrt.apply(self)
    def square(self) -> Tensor: return self * self
    def sign(self) -> Tensor: return _constant(_ops._sign, self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max] (numbers or tensors that broadcast); the gradient passes to x
        where min <= x <= max, and to a tensor bound where the output is that bound."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of min and max must not be None")
        if min is not None:
            min = _operands(self, min)[1]
        if max is not None:
            max = _operands(self, max)[1]
        return _ops.Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor: return _ops.Maximum.apply(*_operands(self, other))
    def minimum(self, other: Any) -> Tensor: return _ops.Minimum.apply(*_operands(self, other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """PyTorch's ``x.where(cond, y)``: x where cond holds, else y."""
        return _ops.where(condition, self, other)

    # --- conversion ----------------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)`` converts (differentiably between floats); ``to("cpu")`` is a no-op."""
        dtype = _target_dtype(args, kwargs)
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        return _ops.Cast.apply(self, np.dtype(dtype))

    def type(self, dtype: Any = None) -> Any:
        return str(self.dtype) if dtype is None else self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor: return self.to(other.dtype)
    def float(self) -> Tensor: return self.to(np.float32)
    def double(self) -> Tensor: return self.to(np.float64)
    def half(self) -> Tensor: return self.to(np.float16)
    def long(self) -> Tensor: return self.to(np.int64)
    def int(self) -> Tensor: return self.to(np.int32)
    def bool(self) -> Tensor: return self.to(np.bool_)
    def cpu(self) -> Tensor: return self

    def cuda(self, device: Any = None, **kwargs: Any) -> Tensor:
        _check_device("cuda" if device is None else f"cuda:{device}")
        return self
    def contiguous(self) -> Tensor: return self
    def clone(self) -> Tensor: return _ops.Clone.apply(self)

    def is_floating_point(self) -> builtins.bool:
        return self.data.dtype.kind == "f"

    def draw(self, **kwargs: Any) -> Any:
        """The computation graph that made this tensor, as a graphviz picture (see viz.py)."""
        from .viz import draw_graph
        return draw_graph(self, **kwargs)


# --- helpers -------------------------------------------------------------------------------------

def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn user data into an array: Python floats take the default dtype, arrays keep theirs."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        if dtype is not None and data.dtype != np.dtype(dtype):
            return data.astype(dtype)
        if data.dtype == object:
            raise TypeError("cannot make a tensor from an array of Python objects; give numbers")
        return data
    if isinstance(data, (list, tuple)) and any(isinstance(item, Tensor) for item in data):
        data = [item.data if isinstance(item, Tensor) else item for item in data]
    try:
        array, problem = np.array(data, dtype=dtype), None
    except (ValueError, TypeError) as error:
        array, problem = None, error
    if array is None or array.dtype == object:
        ragged = _ragged(data, 0, ()) if isinstance(data, (list, tuple)) else None
        if ragged:   # ValueError, as PyTorch: the data is of the right kind, its lengths are not
            raise ValueError(f"cannot make a tensor from ragged lists: {ragged}; every list at one "
                             "depth must have the same length")
        if array is None:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {problem}")
    if data is None:
        raise TypeError("cannot make a tensor from None; give a number, (nested lists of) numbers or an array")
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} holding "
                        f"{array.dtype.kind == 'O' and 'ragged lists or objects' or 'strings'}; "
                        "give (nested lists of) numbers of equal lengths")
    if dtype is None and array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(dtypes.get_default_dtype(), copy=False)
    return array


def _ragged(data: Any, depth: builtins.int, where: tuple) -> str | None:
    """Where nested lists first differ in length, said as PyTorch says it; None if they do not."""
    rows = [item for item in data if isinstance(item, (list, tuple))]
    if not rows:
        return None
    if len(rows) != len(data):
        return f"numbers and lists are mixed at dim {depth}" + (f" (inside index {where})" if where else "")
    expected = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != expected:
            return f"expected sequence of length {expected} at dim {depth + 1} (got {len(row)}, at index {where + (i,)})"
    for i, row in enumerate(rows):
        inner = _ragged(row, depth + 1, where + (i,))
        if inner:
            return inner
    return None


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's type promotion where it differs from NumPy's: a NumPy scalar (or 0-d array) acts
    like a Python number, so it does not turn a float32 tensor into float64; and an integer or
    bool tensor meeting a float tensor takes the float tensor's dtype."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            ka, kb = a.data.dtype.kind, b.data.dtype.kind
            if ka != kb and "f" in (ka, kb) and ka != "c" and kb != "c":
                if ka == "f":
                    b = b.to(a.data.dtype)
                else:
                    a = a.to(b.data.dtype)
            return a, b
    elif type(a) not in _NUMBERS:
        a = _operand(a)
    if type(b) not in _NUMBERS and not isinstance(b, Tensor):
        b = _operand(b)
    return a, b


_NUMBERS = (builtins.float, builtins.int, builtins.bool)   # operands that need no look (the hot path)


def _operand(x: Any) -> Any:
    """A non-tensor operand as NumPy should see it: a NumPy scalar or 0-d array as the Python
    number it holds, other arrays and lists as arrays; anything else (a Value, a string, None)
    raises, rather than making a tensor of objects."""
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in "biufc":
            raise TypeError(f"cannot combine a Tensor with an array of dtype {x.dtype}; give numbers")
        return x.item() if x.ndim == 0 else x
    if isinstance(x, (list, tuple)):
        return _as_array(x)
    if isinstance(x, (builtins.int, builtins.float, builtins.complex)):   # bool, IntEnum, ... too
        return x
    if isinstance(x, numbers.Integral):
        return builtins.int(x)
    if isinstance(x, numbers.Real):   # Fraction, Decimal: NumPy would make objects of them
        return builtins.float(x)
    from .value import Value
    hint = (" (a Value is a scalar of its own engine: use value.data for its number, or compute with "
            "tensors throughout)" if isinstance(x, Value) else "")
    raise TypeError(f"cannot combine a Tensor with {type(x).__name__}{hint}; give a Tensor, a Python "
                    "number or a NumPy array")


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_ndims(name: str, a: Any, b: Any, ndim: builtins.int, hint: str) -> None:
    shape_a, shape_b = np.shape(a), np.shape(b)
    if len(shape_a) != ndim or len(shape_b) != ndim:
        raise RuntimeError(f"{name} expects two {ndim}-D tensors; got shapes {shape_a} and {shape_b}. {hint}")


def _constant(fn: Callable, *args: Any) -> Tensor:
    """A result with no gradient (comparisons, sign, floor division)."""
    arrays = [a.data if isinstance(a, Tensor) else a if type(a) in _NUMBERS else _operand(a) for a in args]
    result = Tensor._make(np.asarray(fn(*arrays)), None)
    if _mode.tracer is not None:
        _mode.tracer.constant(fn, args, result)
    return result


def _target_dtype(args: tuple, kwargs: dict) -> Any:
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


_check_device = dtypes._check_device   # "cpu" passes; "cuda", "mps" raise, saying why


from . import ops as _ops  # noqa: E402  (ops needs Tensor defined first)
from .function import _refresh_view  # noqa: E402
from . import tensor_autograd as _autograd, tensor_inplace as _in_place  # noqa: E402
from . import tensor_reductions as _reductions, tensor_shapes as _shapes  # noqa: E402

for _family in (_autograd, _in_place, _reductions, _shapes):   # their methods make Tensors and call ops
    _family.Tensor, _family._ops = Tensor, _ops
del _family
