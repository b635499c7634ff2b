"""Tensor: a NumPy array that remembers how it was computed.

`data` is the array itself (no copy); `grad_fn` is the Function node that made it (None for a
leaf: data you created); `grad` receives d(loss)/d(this tensor) when `backward()` runs. All the
differentiable math lives in ops.py; this file is the user-facing shape of it: operators,
methods with PyTorch's names, in-place updates and the autograd entry points.
"""
from __future__ import annotations

import builtins
import weakref
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import dtypes
from . import engine
from .engine import _mode

Shape = tuple[int, ...]


class Tensor:
    """An n-dimensional array with reverse-mode autodiff (PyTorch's ``torch.Tensor``)."""

    __slots__ = ("data", "_grad", "_requires_grad", "grad_fn", "_version", "_hooks", "__weakref__")

    __array_priority__ = 1000   # NumPy defers to us in mixed expressions: array * tensor -> Tensor
    _parents = ()               # as a graph node, a leaf has no parents (see engine.py)

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _as_array(data, dtype)
        self._grad = None
        self._requires_grad = False
        self.grad_fn = None
        self._version = None   # a version counter, made on the first in-place change (see _bump)
        self._hooks = None
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

    @property
    def device(self) -> dtypes.device:
        return dtypes.cpu

    @property
    def is_cuda(self) -> builtins.bool:
        return False

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created (not computed by a recorded op)."""
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
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

    # --- autograd ------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: builtins.bool | None = None,
                 create_graph: builtins.bool = False, inputs: Sequence[Tensor] | None = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (chapter 23.15's gradient).

        ``gradient`` is d(loss)/d(self): it may be left out only when self has one element.
        The graph's saved arrays are freed afterwards unless ``retain_graph=True``;
        ``create_graph=True`` records the backward pass so gradients can be differentiated again.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward() was called on a tensor that does not require grad: it was not computed from "
                "any tensor with requires_grad=True (or it was computed under no_grad()). Create the "
                "inputs with requires_grad=True.")
        seed = _seed_gradient(self, gradient, create_graph)
        if retain_graph is None:
            retain_graph = create_graph
        root = self.grad_fn or self
        if inputs is None:
            engine.backward([root], [seed], retain_graph=retain_graph, create_graph=create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        grads = engine.backward([root], [seed], retain_graph=retain_graph, create_graph=create_graph,
                                capture=[t.grad_fn or t for t in inputs])
        sweep = engine.Sweep(create_graph, accumulate=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                t._accumulate(g, sweep)

    def _backprop(self, grad: Any, sweep: engine.Sweep) -> tuple:
        # a leaf as a node of the graph: its gradient ends here
        if self._hooks is not None:
            grad = _run_hooks(self._hooks, grad)
        if sweep.accumulate:
            self._accumulate(grad, sweep)
        return ()

    def _release(self) -> None:
        pass

    def _accumulate(self, grad: Any, sweep: engine.Sweep) -> None:
        """.grad += grad, into a buffer this tensor owns (no aliasing with other gradients)."""
        if isinstance(grad, Tensor):   # create_graph: keep the graph of the gradient
            self._grad = grad if self._grad is None else self._grad + grad
            return
        if grad.dtype != self.data.dtype:
            grad = grad.astype(self.data.dtype)
        current = self._grad
        if current is None:
            if (type(grad) is not np.ndarray or not grad.flags.owndata or not grad.flags.writeable
                    or id(grad) in sweep.claimed):
                grad = np.array(grad, copy=True)
            sweep.claimed.add(id(grad))
            self._grad = Tensor._make(grad, None)
        elif current._requires_grad or not current.data.flags.writeable or current.shape != grad.shape:
            self._grad = Tensor._make(current.data + grad, None)
        else:
            current.data += grad
            _bump(current)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward()."""
        if self.grad_fn is not None:
            self.grad_fn._extras()["retained"] = weakref.ref(self)

    @property
    def retains_grad(self) -> builtins.bool:
        return self.grad_fn is not None and "retained" in (self.grad_fn._extra or {})

    def register_hook(self, hook: Callable[[Tensor], Any]) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is not None:
            return _HookHandle(self.grad_fn.register_hook(hook), hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory and version counter)."""
        t = Tensor._make(self.data, None)
        t._version = _counter(self)
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

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

    def __matmul__(self, other: Any) -> Tensor: return _ops.matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return _ops.matmul(other, self)

    def __floordiv__(self, other: Any) -> Tensor: return _constant(np.floor_divide, self, other)
    def __mod__(self, other: Any) -> Tensor: return _constant(np.mod, self, other)

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

    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor: return self * other
    def div(self, other: Any) -> Tensor: return self / other
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
    def sign(self) -> Tensor: return _constant(np.sign, self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max")
        return _ops.Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor: return _ops.Maximum.apply(*_operands(self, other))
    def minimum(self, other: Any) -> Tensor: return _ops.Minimum.apply(*_operands(self, other))

    def where(self, condition: Any, other: Any) -> Tensor:
        """PyTorch's ``x.where(cond, y)``: x where cond holds, else y."""
        return _ops.where(condition, self, other)

    # --- reductions ----------------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None, dtype: Any = None) -> Tensor:
        """Sum over `dim` (an int, a tuple, or None for all); ``axis``/``keepdims`` are accepted too."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        out = _ops.Sum.apply(self, dims, keep)
        return out if dtype is None else out.to(dtype)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        count = _count(self.shape, dims)
        return _ops.Sum.apply(self, dims, keep) / count if count else _ops.Sum.apply(self, dims, keep) * np.nan

    def amax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """Largest value over `dim`; ties share the gradient equally."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        _nonempty(self, dims, "amax")
        return _ops.Max.apply(self, dims, keep)

    def amin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        _nonempty(self, dims, "amin")
        return -_ops.Max.apply(-self, dims, keep)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        """The largest value; with an int `dim`, a ``(values, indices)`` pair as PyTorch returns."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None and axis is None:
            return self.amax()
        values = self.amax(dim, keepdim, axis=axis, keepdims=keepdims)
        d = dim if dim is not None else axis
        return _ops.MinMax(values, self.argmax(d, keepdim or builtins.bool(keepdims)))

    def min(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
            keepdims: Any = None) -> Any:
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None and axis is None:
            return self.amin()
        values = self.amin(dim, keepdim, axis=axis, keepdims=keepdims)
        d = dim if dim is not None else axis
        return _ops.MinMax(values, self.argmin(d, keepdim or builtins.bool(keepdims)))

    def argmax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Tensor:
        """Index of the largest value (of the flattened tensor when dim is None); no gradient."""
        return _arg_reduce(np.argmax, self, dim if dim is not None else axis, keepdim)

    def argmin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Tensor:
        return _arg_reduce(np.argmin, self, dim if dim is not None else axis, keepdim)

    def var(self, dim: Any = None, keepdim: builtins.bool = False, *, correction: Any = 1,
            unbiased: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
        """Variance: mean of squared deviations, divided by N - correction (1 by default, as PyTorch)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        deviation = self - self.mean(dims, keepdim=True)
        return (deviation * deviation).sum(dims, keep) / builtins.max(_count(self.shape, dims) - correction, 0)

    def std(self, dim: Any = None, keepdim: builtins.bool = False, *, correction: Any = 1,
            unbiased: Any = None, axis: Any = None, keepdims: Any = None) -> Tensor:
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased, axis=axis,
                        keepdims=keepdims).sqrt()

    def logsumexp(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
                  keepdims: Any = None) -> Tensor:
        """log Σ exp(x), computed as m + log Σ exp(x - m) with m = max(x) so nothing overflows;
        +inf entries give +inf and groups of only -inf give -inf, with finite gradients."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return _ops.LogSumExp.apply(self, dims, keep)

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None,
             keepdims: Any = None) -> Tensor:
        """Product over `dim`, built from multiplications (exact gradients even with zeros)."""
        dims, keep = _reduction_args(self, dim, axis, keepdim, keepdims)
        return _ops.product(self, dims, keep)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        dims, keep = _reduction_args(self, dim, None, keepdim, None)
        return Tensor._make(np.asarray(self.data.all(axis=dims, keepdims=keep)), None)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        dims, keep = _reduction_args(self, dim, None, keepdim, None)
        return Tensor._make(np.asarray(self.data.any(axis=dims, keepdims=keep)), None)

    # --- shapes --------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape (one dimension may be -1)."""
        shape = _shape_arg(shape)
        try:
            new_shape = _infer_shape(self.shape, shape)
        except ValueError as error:
            raise RuntimeError(str(error)) from None
        return _ops.Reshape.apply(self, new_shape)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1:])

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = {_dim(d, self.ndim) for d in (dim if isinstance(dim, tuple) else (dim,))}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        d = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: Any) -> Tensor:
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute: the tensor has {self.ndim} dimensions (shape {self.shape}) but the "
                               f"order {dims} names {len(dims)}; give each dimension once")
        dims = tuple(_dim(d, self.ndim) for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute needs each of the {self.ndim} dimensions once; got {dims}")
        return _ops.Permute.apply(self, dims)

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two dimensions (PyTorch's meaning, not NumPy's)."""
        if self.ndim < 2 and dim0 in (-2, -1) and dim1 in (-2, -1):
            return self
        order = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        order[a], order[b] = order[b], order[a]
        return _ops.Permute.apply(self, tuple(order))

    swapaxes = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions; got shape {self.shape}. "
                               "Use .transpose(dim0, dim1) or .mT")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        """Reversed dimensions: Wᵀ for a matrix."""
        return self if self.ndim < 2 else _ops.Permute.apply(self, tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    def expand(self, *shape: Any) -> Tensor:
        """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
        shape = _shape_arg(shape)
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the target shape {shape} has fewer dimensions than the tensor {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self.broadcast_to(shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        shape = tuple(shape)
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"cannot broadcast a tensor of shape {self.shape} to shape {shape}") from None
        if shape == self.shape:
            return self
        return _ops.Expand.apply(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.broadcast_to(other.shape)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = builtins.int(split_size_or_sections)
            if step <= 0 and not (step == 0 and n == 0):
                raise RuntimeError(f"split_size must be positive (or 0 for an empty dimension); got "
                                   f"split_size={step} for dimension {d} of size {n}")
            step = builtins.max(step, 1)
            sizes = [builtins.min(step, n - start) for start in range(0, n, step)] or [0]
        else:
            sizes = [builtins.int(s) for s in split_size_or_sections]
            if builtins.sum(sizes) != n or builtins.any(size < 0 for size in sizes):
                raise RuntimeError(f"split sizes {sizes} add up to {builtins.sum(sizes)}, but dimension {d} "
                                   f"has size {n}; give non-negative sizes that add up to {n}")
        pieces, start = [], 0
        for size in sizes:
            index = (slice(None),) * d + (slice(start, start + size),)
            pieces.append(self[index])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        if chunks <= 0:
            raise RuntimeError(f"chunk expects chunks to be greater than 0; got {chunks}")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(builtins.max(-(-n // chunks), 1), dim)

    def __getitem__(self, index: Any) -> Tensor:
        """NumPy indexing: ints, slices, None, ..., integer arrays, boolean masks."""
        return _ops.index(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``: in place, recorded when it involves tensors that require grad."""
        _ops.setitem(self, index, value)

    # --- softmax (chapter 23.13) ---------------------------------------------------------------

    def softmax(self, dim: int = -1) -> Tensor:
        """p_i = e^{s_i} / Σ_j e^{s_j}, shifted by max(s) so large scores do not overflow."""
        if self.data.dtype.kind != "f":
            _needs_float(self, "softmax")
        return _ops.Softmax.apply(self, _dim(dim, self.ndim) if self.ndim else None)

    def log_softmax(self, dim: int = -1) -> Tensor:
        """log p_i = s_i - logsumexp(s): stable where log(softmax) would give -inf."""
        if self.data.dtype.kind != "f":
            _needs_float(self, "log_softmax")
        return _ops.LogSoftmax.apply(self, _dim(dim, self.ndim) if self.ndim else None)

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

    # --- in place (PyTorch's rules: see _inplace) ----------------------------------------------

    def __iadd__(self, other: Any) -> Tensor: return _inplace(self, np.add, Tensor.__add__, other)
    def __isub__(self, other: Any) -> Tensor: return _inplace(self, np.subtract, Tensor.__sub__, other)
    def __imul__(self, other: Any) -> Tensor: return _inplace(self, np.multiply, Tensor.__mul__, other)
    def __itruediv__(self, other: Any) -> Tensor: return _inplace(self, np.true_divide, Tensor.__truediv__, other)

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        return _inplace(self, np.add, Tensor.__add__, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        return _inplace(self, np.subtract, Tensor.__sub__, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor: return _inplace(self, np.multiply, Tensor.__mul__, other)
    def div_(self, other: Any) -> Tensor: return _inplace(self, np.true_divide, Tensor.__truediv__, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        return _inplace(self, None, lambda x, _: x.clamp(min, max), None)

    clip_ = clamp_

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        return _inplace(self, None, _filled, value)

    def copy_(self, source: Any) -> Tensor:
        return _inplace(self, None, _filled, source)

    def uniform_(self, a: builtins.float = 0.0, b: builtins.float = 1.0) -> Tensor:
        from .creation import _generator
        with engine.no_grad():
            return self.copy_(_generator().uniform(a, b, self.shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Tensor:
        from .creation import _generator
        with engine.no_grad():
            return self.copy_(_generator().normal(mean, std, self.shape))

    def draw(self, **kwargs: Any) -> Any:
        """The computation graph that made this tensor, as a graphviz picture (see viz.py)."""
        from .viz import draw_graph
        return draw_graph(self, **kwargs)


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


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


def _seed_gradient(output: Tensor, gradient: Any, create_graph: builtins.bool) -> Any:
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"backward() can create the gradient implicitly only for one-element outputs; this "
                f"tensor has shape {output.shape}. Reduce it first (.sum() or .mean()) or pass "
                "backward(gradient=...) with a tensor of the same shape.")
        data = output.data   # one element: a 1 of its dtype (np.array is much cheaper than ones_like for 0-d)
        seed = np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones_like(data)
    else:
        seed_tensor = gradient if isinstance(gradient, Tensor) else None
        seed = np.array(gradient.data if seed_tensor is not None else gradient, dtype=output.dtype)
        if seed.shape != output.shape:
            raise RuntimeError(f"backward(gradient=...) needs a gradient of the output's shape "
                               f"{output.shape}; got shape {seed.shape}")
        if create_graph and seed_tensor is not None and seed_tensor.requires_grad:
            return seed_tensor
    return Tensor._make(seed, None) if create_graph else seed


def _run_hooks(hooks: list, grad: Any) -> Any:
    as_tensor = isinstance(grad, Tensor)
    value = grad if as_tensor else Tensor._make(grad, None)
    for hook in hooks:
        replaced = hook(value)
        if replaced is not None:
            value = replaced if isinstance(replaced, Tensor) else Tensor(replaced)
    return value if as_tensor else value.data


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's type promotion where it differs from NumPy's: a NumPy scalar (or 0-d array) acts
    like a Python number, so it does not turn a float32 tensor into float64; and an integer or
    bool tensor meeting a float tensor takes the float tensor's dtype."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        ka, kb = a.data.dtype.kind, b.data.dtype.kind
        if ka != kb and "f" in (ka, kb) and ka != "c" and kb != "c":
            if ka == "f":
                b = b.to(a.data.dtype)
            else:
                a = a.to(b.data.dtype)
        return a, b
    if isinstance(b, (np.generic, np.ndarray)) and b.ndim == 0:
        b = b.item()
    elif isinstance(a, (np.generic, np.ndarray)) and a.ndim == 0:
        a = a.item()
    return a, b


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_ndims(name: str, a: Any, b: Any, ndim: builtins.int, hint: str) -> None:
    shape_a, shape_b = np.shape(a), np.shape(b)
    if len(shape_a) != ndim or len(shape_b) != ndim:
        raise RuntimeError(f"{name} expects two {ndim}-D tensors; got shapes {shape_a} and {shape_b}. {hint}")


def _constant(fn: Callable, *args: Any) -> Tensor:
    """A result with no gradient (comparisons, sign, floor division)."""
    arrays = [a.data if isinstance(a, Tensor) else a for a in args]
    result = Tensor._make(np.asarray(fn(*arrays)), None)
    if _mode.tracer is not None:
        _mode.tracer.constant(fn, args, result)
    return result


def _inplace(self: Tensor, ufunc: Any, op: Callable, other: Any) -> Tensor:
    """Change `self` in place, as PyTorch does.

    A leaf that requires grad may only be changed under no_grad() (an optimizer step). When the
    change must be recorded (grad mode on and a tensor involved requires grad), the result is
    computed out of place and becomes this tensor's new value and grad_fn; the old array is left
    as it was, so any backward that saved it still computes the right gradient. Otherwise the
    array is written in place and its version counter goes up, so a backward that needs the
    old value raises instead of silently using the new one.
    """
    other_requires_grad = isinstance(other, Tensor) and other._requires_grad
    if _mode.enabled and (self._requires_grad or other_requires_grad):
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                "a leaf tensor that requires grad is being changed by an in-place operation. Wrap the "
                "update in `with tinygrad_la.no_grad():` (as an optimizer step does), or use an "
                "out-of-place op (w = w - lr * w.grad).")
        result = op(self, other)
        if result.shape != self.shape:
            raise RuntimeError(f"in-place update of a tensor of shape {self.shape} would give shape "
                               f"{result.shape}; an in-place result must keep the tensor's shape")
        if result.dtype != self.dtype:
            result = result.to(self.dtype)
        self.data = result.data
        self.grad_fn = result.grad_fn
        self._requires_grad = result._requires_grad
        return self
    if _mode.tracer is not None:
        _mode.tracer.inplace(self, ufunc, op, other)
    value = other.data if isinstance(other, Tensor) else other
    try:
        if ufunc is None:
            result = op(Tensor._make(self.data, None), other)
            np.copyto(self.data, result.data, casting="same_kind")
        else:
            ufunc(self.data, value, out=self.data, casting="same_kind")
    except (TypeError, ValueError) as error:
        value_shape = getattr(value, "shape", ())
        raise RuntimeError(f"in-place update of a tensor of shape {self.shape} and dtype {self.dtype} "
                           f"with a value of shape {tuple(value_shape)} failed: {error}. An in-place "
                           "result must keep the tensor's shape and dtype.") from None
    _bump(self)
    return self


def _filled(x: Tensor, value: Any) -> Tensor:
    """A fresh tensor of x's shape and dtype holding `value` (broadcast): fill_ and copy_.
    x is kept in the graph with a zero gradient, as PyTorch does."""
    value = value if isinstance(value, Tensor) else Tensor._make(np.asarray(value, dtype=x.dtype), None)
    nowhere = np.zeros(x.shape, dtype=bool)
    return _ops.where(nowhere, x, value.to(x.dtype))


# Version counters catch a backward that would read a value changed in place after it was saved.
# Versions are ticks of one clock, so a node needs only the tick at which it was made: a tensor
# changed later has a larger version. Tensors that share memory (views) share one counter.
_clock = [0]


def _counter(t: Tensor) -> list:
    """The tensor's version counter, made on first use (most tensors never need one)."""
    if t._version is None:
        t._version = [0]
    return t._version


def _bump(t: Tensor) -> None:
    """Record an in-place change of `t` (and of every view sharing its memory)."""
    _clock[0] += 1
    _counter(t)[0] = _clock[0]


def _needs_float(t: Tensor, name: str) -> None:
    raise TypeError(f"{name}() needs floating point scores; got a tensor of dtype {t.dtype}. Convert it "
                    "first with .double() or .float() (integer scores are usually a mix-up with the targets).")


def _dim(dim: Any, ndim: int) -> int:
    """A dimension index, checked and made non-negative."""
    lo = -builtins.max(ndim, 1)
    hi = builtins.max(ndim, 1) - 1
    if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int; got {type(dim).__name__}")
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return builtins.int(dim) % builtins.max(ndim, 1)


def _reduction_args(t: Tensor, dim: Any, axis: Any, keepdim: Any, keepdims: Any) -> tuple[Any, builtins.bool]:
    if dim is None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dim is None:
        return None, builtins.bool(keepdim)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    normalized = tuple(sorted({_dim(d, t.ndim) for d in dims}))
    if t.ndim == 0:
        return None, builtins.bool(keepdim)
    return normalized, builtins.bool(keepdim)


def _count(shape: Shape, dims: Any) -> builtins.int:
    if dims is None:
        return builtins.int(np.prod(shape, dtype=np.int64))
    return builtins.int(np.prod([shape[d] for d in dims], dtype=np.int64))


def _reduced_shape(shape: Shape, dims: Any) -> Shape:
    if dims is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def _nonempty(t: Tensor, dims: Any, name: str) -> None:
    if t.data.size == 0 and (dims is None or builtins.any(t.shape[d] == 0 for d in dims)):
        raise RuntimeError(f"{name}(): cannot reduce an empty dimension of a tensor of shape {t.shape} "
                           "(a maximum over nothing is undefined); give dim= over a non-empty dimension")


def _arg_reduce(fn: Callable, t: Tensor, dim: Any, keepdim: builtins.bool) -> Tensor:
    if dim is None:
        return Tensor._make(np.asarray(fn(t.data)), None)
    d = _dim(dim, t.ndim)
    return Tensor._make(np.asarray(fn(t.data, axis=d, keepdims=keepdim)), None)


def _shape_arg(shape: tuple) -> tuple:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(builtins.int(n) for n in shape)


def _infer_shape(old: Shape, new: Shape) -> Shape:
    size = builtins.int(np.prod(old, dtype=np.int64))
    unknown = [i for i, n in enumerate(new) if n == -1]
    if len(unknown) > 1:
        raise ValueError(f"only one dimension can be -1 in the shape {new}")
    known = builtins.int(np.prod([n for n in new if n != -1], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"shape {new} is invalid for a tensor of shape {old} ({size} elements)")
        new = tuple(size // known if n == -1 else n for n in new)
    if builtins.int(np.prod(new, dtype=np.int64)) != size:
        raise ValueError(f"shape {new} is invalid for a tensor of shape {old} ({size} elements)")
    return new


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
