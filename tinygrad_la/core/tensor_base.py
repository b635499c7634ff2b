"""What a tensor is to the engine: an array, its gradient, and its place in the graph.

`_array` is the NumPy array itself (no copy; `.data` is PyTorch's: the same memory as a tensor
outside the graph); `grad_fn` is the Function node that made the tensor
(None for a leaf: data you created); `grad` receives d(loss)/d(this tensor) when `backward()`
runs. `backward()` seeds d(loss)/d(loss) = 1 and hands the graph to engine.py, the one backward
algorithm; a leaf tensor is the graph's end, where its gradient is added into `.grad`
(chapter 23.15).

The math lives above this file: the op families in ops/ are mixins built on `TensorBase`, and
tensor.py composes them into `Tensor`, the class every op's result is an instance of.
"""
from __future__ import annotations

import builtins
import numbers
import weakref
from operator import index as operator_index
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence, SupportsIndex, overload

import numpy as np

from . import dtypes, engine
from .engine import _mode
from .version import bump

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["TensorBase", "Shape", "Size"]

Shape = tuple[int, ...]


class Size(tuple[int, ...]):
    """A tensor's shape (PyTorch's ``torch.Size``): a tuple of ints that prints as
    ``tinygrad_la.Size([3, 784])`` and knows its ``numel()``; slices and sums of it are Sizes too."""

    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> Size:
        """A Size of an iterable of ints (0-d integer tensors and NumPy integers count as ints)."""
        items = tuple(sizes)
        for i, item in enumerate(items):
            if type(item) is not builtins.int:
                if isinstance(item, builtins.bool) or not hasattr(item, "__index__"):
                    raise TypeError(f"tinygrad_la.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type(item).__name__}')")
                items = tuple(operator_index(v) for v in items)
                break
        return tuple.__new__(cls, items)

    def __repr__(self) -> str:
        """``tinygrad_la.Size([3, 784])``."""
        return f"tinygrad_la.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> builtins.int:
        """The number of entries a tensor of this shape holds: the product of the sizes."""
        total = 1
        for n in self:
            total *= n
        return total

    @overload
    def __getitem__(self, index: SupportsIndex) -> builtins.int: ...
    @overload
    def __getitem__(self, index: slice) -> Size: ...

    def __getitem__(self, index: SupportsIndex | slice) -> builtins.int | Size:
        """One size (an int), or a Size for a slice."""
        if isinstance(index, slice):
            return tuple.__new__(Size, tuple.__getitem__(self, index))
        return tuple.__getitem__(self, index)

    def __add__(self, other: tuple[Any, ...]) -> Size:
        """The sizes of self, then other's."""
        return Size(tuple.__add__(self, other))

    def __radd__(self, other: tuple[Any, ...]) -> Size:
        """other's sizes, then self's."""
        return Size(tuple.__add__(tuple(other), self))

    def __mul__(self, times: SupportsIndex) -> Size:
        """The sizes repeated `times` times."""
        return tuple.__new__(Size, tuple.__mul__(self, times))

    __rmul__ = __mul__


class TensorBase:
    """A NumPy array with a gradient and a graph node: the part of Tensor the engine needs."""

    __slots__ = ("_array", "_grad", "_requires_grad", "grad_fn", "_hooks", "_base", "_view_of", "__weakref__")

    __array_priority__ = 1000   # NumPy defers to us in mixed expressions: array * tensor -> Tensor
    _parents: tuple[Any, ...] = ()   # as a graph node, a leaf has no parents (see engine.py)
    # the class ops make their results of (Tensor, see below); typed Any because its methods are
    # the ones ops/ adds, which this layer cannot name
    _results: ClassVar[type[Any]]
    _view_of: Any   # for a view: the base's grad_fn when the view was made (set by Function.apply)

    def __init_subclass__(cls, makes_results: builtins.bool = False, **kwargs: Any) -> None:
        # tensor.py declares `class Tensor(..., makes_results=True)`: results of ops are Tensors
        # (with every method), not instances of whichever class an input happened to be
        super().__init_subclass__(**kwargs)
        if makes_results:
            TensorBase._results = cls

    def __init__(self, data: Any, dtype: Any = None, requires_grad: builtins.bool = False) -> None:
        self._array = _as_array(data, dtype)
        self._grad: Any = None                  # a Tensor holding d(loss)/d(self), or None
        self._requires_grad = False
        self.grad_fn: Any = None
        self._hooks: list[Callable[..., Any]] | None = None
        self._base: TensorBase | None = None     # for a view: the tensor whose memory it shares
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(data: np.ndarray, grad_fn: Any) -> Any:
        """Fast internal constructor of a result (a Tensor): `data` is already an array."""
        t = object.__new__(TensorBase._results)
        t._array = data
        t._grad = None
        t._requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t._hooks = None
        t._base = None
        return t

    if TYPE_CHECKING:   # defined by Tensor (tensor.py); the op layers between call it too
        def to(self, *args: Any, **kwargs: Any) -> Self:
            """This tensor converted to a dtype (see Tensor.to)."""

    def _refresh_view(self) -> None:
        """A view whose base was changed in place since it was made reads the base's new graph.
        Only in-place ops make a view stale, so the in-place layer (ops/inplace.py) says how."""
        raise NotImplementedError

    # --- what it is ----------------------------------------------------------------------------

    @property
    def shape(self) -> Size:
        """The size of each dimension, a `Size` (PyTorch's ``torch.Size``): a tuple that prints as one."""
        return tuple.__new__(Size, self._array.shape)

    @property
    def _shape(self) -> Shape:
        # the engine's node protocol reads the plain tuple, on the hot path
        return self._array.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions (0 for a scalar)."""
        return self._array.ndim

    @property
    def dtype(self) -> dtypes.dtype:
        """The dtype of the entries: ``tinygrad_la.float32``, ... (NumPy takes it as its own dtype)."""
        return dtypes.public(self._array.dtype)

    @property
    def _dtype(self) -> np.dtype:
        """The NumPy dtype of the entries, as a graph node reports it (like Function._dtype)."""
        return self._array.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created (not computed by a recorded op)."""
        return not self.requires_grad or self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        """Does this tensor take part in gradients: are ops on it recorded for backward()?"""
        if self._base is not None and self._base.grad_fn is not self._view_of:
            self._refresh_view()   # a view whose base was changed in place since it was made
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = builtins.bool(flag)
        if flag and self._array.dtype.kind != "f":
            raise RuntimeError(
                f"Only floating point tensors can require gradients; this tensor has dtype "
                f"{dtypes.public(self._array.dtype)}. Convert it first, e.g. x.float() or x.double(), or "
                "create it with dtype=tinygrad_la.float64.")
        if not flag and self.grad_fn is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; this one was "
                               f"computed by {self.grad_fn.name()}. Use .detach() to get a tensor "
                               "that does not require grad.")
        self._requires_grad = flag

    @property
    def grad(self) -> Self | None:
        """d(loss)/d(this tensor) after backward(): filled for leaves (and retain_grad() tensors)."""
        grad: Self | None = self._grad   # always a Tensor (or None): the results class is Self's
        return grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if _mode.tracer is not None:
            _mode.tracer.set_grad(self, value)
        if value is not None:
            if not isinstance(value, TensorBase):
                value = TensorBase._results(value)
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {tuple(value.shape)}, but the tensor has shape "
                                   f"{tuple(self.shape)}; a gradient must have its tensor's shape")
            if value.dtype.kind != self._array.dtype.kind:
                raise RuntimeError(f"assigned grad has dtype {value.dtype}, but the tensor has dtype "
                                   f"{self.dtype}; a gradient must be of its tensor's kind (floating point)")
        self._grad = value

    @overload
    def size(self, dim: None = None) -> Size: ...
    @overload
    def size(self, dim: int) -> int: ...

    def size(self, dim: int | None = None) -> Size | int:
        """The shape (PyTorch's ``size()``, a Size), or the length of one dimension."""
        if dim is None:
            return tuple.__new__(Size, self._array.shape)
        length: int = self._array.shape[_dim(dim, self.ndim)]
        return length

    def numel(self) -> int:
        """The number of entries: the product of the shape."""
        return self._array.size

    def nelement(self) -> int:
        """The number of entries (PyTorch's other name for ``numel()``)."""
        return self._array.size

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self._array.ndim

    __hash__ = object.__hash__   # == is elementwise, so hash by identity, as PyTorch does

    # --- autograd ------------------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: builtins.bool | None = None,
                 create_graph: builtins.bool = False, inputs: Sequence[TensorBase] | None = None) -> None:
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
        inputs = [inputs] if isinstance(inputs, TensorBase) else list(inputs)
        grads = engine.backward([root], [seed], retain_graph=retain_graph, create_graph=create_graph,
                                capture=[t.grad_fn or t for t in inputs])
        assert grads is not None   # with capture, the walk returns the captured gradients
        sweep = engine.Sweep(create_graph, accumulate=True)
        for t, g in zip(inputs, grads):
            if g is not None:
                t._accumulate(g, sweep)

    def _backprop(self, grad: Any, sweep: engine.Sweep) -> tuple[Any, ...]:
        # a leaf as a node of the graph: its gradient ends here
        if self._hooks is not None:
            grad = _run_hooks(self._hooks, grad, sweep)
            if sweep.wanted is not None and self in sweep.wanted:
                sweep.wanted[self] = grad   # autograd.grad returns the gradient its hooks made
        if sweep.accumulate:
            self._accumulate(grad, sweep)
        return ()

    def _release(self) -> None:
        pass

    def _accumulate(self, grad: Any, sweep: engine.Sweep) -> None:
        """.grad += grad, into a buffer this tensor owns (no aliasing with other gradients)."""
        if isinstance(grad, TensorBase):   # create_graph: keep the graph of the gradient
            current = self._grad           # a Tensor (Any here: + is ops/'s, above this layer)
            self._grad = grad if current is None else current + grad
            return
        if grad.dtype != self._array.dtype:
            grad = grad.astype(self._array.dtype)
        current = self._grad
        if current is None:
            if (type(grad) is not np.ndarray or not grad.flags.owndata or not grad.flags.writeable
                    or id(grad) in sweep.claimed):
                grad = np.array(grad, copy=True)
            sweep.claimed.add(id(grad))
            self._grad = TensorBase._make(grad, None)
        elif current._requires_grad or not current._array.flags.writeable or current.shape != grad.shape:
            self._grad = TensorBase._make(current._array + grad, None)
        else:
            current._array += grad
            bump(current)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward()."""
        if self.grad_fn is not None:
            self.grad_fn._extras()["retained"] = weakref.ref(self)

    @property
    def retains_grad(self) -> builtins.bool:
        """Was retain_grad() called on this non-leaf tensor?"""
        return self.grad_fn is not None and "retained" in (self.grad_fn._extra or {})

    def register_hook(self, hook: Callable[[Any], Any]) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that does not require grad")
        if self.grad_fn is not None:
            return _HookHandle(self.grad_fn.register_hook(hook), hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    @property
    def data(self) -> Self:
        """PyTorch's ``.data``: the same memory as a tensor that does not require grad, whose
        in-place changes (``p.data += -lr * p.grad``) are not recorded in the graph."""
        # like detach(): a new array object over the same memory, so a backward that saved these
        # values raises if they were changed through .data (version checks follow memory; PyTorch
        # does not check, and would differentiate the changed values silently)
        t: Self = TensorBase._make(self._array.view(), None)
        if _mode.tracer is not None:
            _mode.tracer.shared(t, self)
        return t

    @data.setter
    def data(self, value: Any) -> None:
        # PyTorch's `p.data = t`: p now holds t's memory (any shape), keeps its grad and its graph
        if not isinstance(value, TensorBase):
            raise TypeError(f"Tensor.data must be set to a Tensor; got {type(value).__name__}. Wrap it "
                            "first: t.data = tinygrad_la.tensor(array)")
        array = value._array
        if self._requires_grad and array.dtype.kind != "f":
            raise RuntimeError(f"cannot set .data of a tensor that requires grad to a tensor of dtype "
                               f"{dtypes.public(array.dtype)}: only floating point tensors can require gradients")
        if not _same_view(array, self._array):   # `p.data += ...` sets back the memory p holds
            self._array = array
            self._base = None          # its own memory now, no longer a view of another tensor

    def detach(self) -> Self:
        """The same data, cut from the graph (shares memory, so in-place changes count for both)."""
        # a new array object over the same memory: shared values, but never mistaken for self's
        # array when an op matches what it saved to its inputs
        t: Self = TensorBase._make(self._array.view(), None)
        if _mode.tracer is not None:
            _mode.tracer.shared(t, self)
        return t

    def detach_(self) -> Self:
        """Cut this tensor itself from the graph, in place: it becomes a leaf that needs no grad."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Self:
        """Set ``requires_grad`` in place (on a leaf) and return the tensor."""
        self.requires_grad = requires_grad
        return self


class _HookHandle:
    """What register_hook returns (PyTorch's RemovableHandle)."""
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list[Callable[..., Any]], hook: Callable[..., Any]) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        """Unregister the hook (again is harmless)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _same_view(a: np.ndarray, b: np.ndarray) -> builtins.bool:
    """Are a and b the same entries of the same memory (b, or b.view())?"""
    return a is b or (a.base is not None and a.shape == b.shape and a.strides == b.strides
                      and a.dtype == b.dtype
                      and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _seed_gradient(output: TensorBase, gradient: Any, create_graph: builtins.bool) -> Any:
    if gradient is None:
        if output._array.size != 1:
            raise RuntimeError(
                f"backward() can create the gradient implicitly only for one-element outputs; this "
                f"tensor has shape {tuple(output.shape)}. Reduce it first (.sum() or .mean()) or pass "
                "backward(gradient=...) with a tensor of the same shape.")
        data = output._array   # one element: a 1 of its dtype (np.array is much cheaper than ones_like for 0-d)
        seed = np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones_like(data)
    else:
        seed_tensor = gradient if isinstance(gradient, TensorBase) else None
        seed = np.array(gradient._array if seed_tensor is not None else gradient, dtype=output.dtype)
        if seed.shape != output.shape:
            raise RuntimeError(f"backward(gradient=...) needs a gradient of the output's shape "
                               f"{tuple(output.shape)}; got shape {tuple(seed.shape)}")
        if create_graph and seed_tensor is not None and seed_tensor.requires_grad:
            return seed_tensor
    return TensorBase._make(seed, None) if create_graph else seed


def _run_hooks(hooks: list[Callable[..., Any]], grad: Any, sweep: engine.Sweep | None = None) -> Any:
    as_tensor = isinstance(grad, TensorBase)
    value = grad if as_tensor else TensorBase._make(grad, None)
    for hook in hooks:
        replaced = hook(value)
        if replaced is not None:
            value = replaced if isinstance(replaced, TensorBase) else TensorBase._results(replaced)
    if as_tensor:
        return value
    if sweep is not None:   # a hook may keep what it saw: .grad must never become that array
        sweep.claimed.add(id(grad))
        sweep.claimed.add(id(value._array))
    return value._array


# --- turning user data into arrays ---------------------------------------------------------------

def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn user data into an array: Python floats take the default dtype, arrays keep theirs."""
    if isinstance(data, TensorBase):
        data = data._array
    if isinstance(data, np.ndarray):
        if dtype is not None and data.dtype != np.dtype(dtype):
            return data.astype(dtype)
        if data.dtype == object:
            raise TypeError("cannot make a tensor from an array of Python objects; give numbers")
        return data
    if isinstance(data, (list, tuple)) and any(isinstance(item, TensorBase) for item in data):
        data = [item._array if isinstance(item, TensorBase) else item for item in data]
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
        array = array.astype(dtypes.default_float(), copy=False)
    return array


def _ragged(data: Any, depth: builtins.int, where: tuple[builtins.int, ...]) -> str | None:
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


_NUMBERS = (builtins.float, builtins.int, builtins.bool)   # operands that need no look (the hot path)


def _operand(x: Any) -> Any:
    """A non-tensor operand as NumPy should see it: a NumPy scalar or 0-d array as the Python
    number it holds, other arrays and lists as arrays; anything else (a Value, a string, None)
    raises, rather than making a tensor of objects."""
    if isinstance(x, (np.ndarray, np.generic)):
        if x.dtype.kind not in "biufc":
            raise TypeError(f"cannot combine a Tensor with an array of dtype {dtypes.public(x.dtype)}; give numbers")
        return x.item() if x.ndim == 0 else x
    if isinstance(x, (list, tuple)):
        return _as_array(x)
    if isinstance(x, (builtins.int, builtins.float, builtins.complex)):   # bool, IntEnum, ... too
        return x
    if isinstance(x, numbers.Integral):
        return builtins.int(x)
    if isinstance(x, numbers.Real):   # Fraction, Decimal: NumPy would make objects of them
        return builtins.float(x)
    hint = getattr(x, "_mixed_with_tensor", "")   # a Value says what to do instead
    raise TypeError(f"cannot combine a Tensor with {type(x).__name__}{hint}; give a Tensor, a Python "
                    "number or a NumPy array")



def _dim(dim: Any, ndim: int) -> int:
    """A dimension index, checked and made non-negative."""
    lo = -builtins.max(ndim, 1)
    hi = builtins.max(ndim, 1) - 1
    if not isinstance(dim, (builtins.int, np.integer)) or isinstance(dim, builtins.bool):
        raise TypeError(f"dim must be an int; got {type(dim).__name__}")
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return builtins.int(dim) % builtins.max(ndim, 1)


