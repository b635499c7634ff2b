"""tinygrad_la.compile: trace a training step once, then replay it as straight-line NumPy.

Eager mode pays for flexibility on every step: each op builds a Tensor and a graph node, and
backward sorts the graph and dispatches node by node. A training step usually does the same
work every time, so we can record it once and keep only the NumPy calls:

    @tinygrad_la.compile
    def train_step(X, y):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        return loss

    for epoch in range(1500):
        loss = train_step(X, y)          # first call: runs eagerly and records; later: replays

The first call runs the function eagerly while a tracer notes every op's forward (which arrays
went in, which came out), every backward pass (the graph's nodes in order), and the calls it
cannot look inside (optimizer.step, zero_grad, gradient clipping). From that record it writes a
Python function of plain statements, one line per NumPy-level call (see ``train_step.source``),
and later calls run that instead. The ops' own forward and backward functions do the arithmetic,
so replayed values and gradients are the same as eager ones, bit for bit.

The rule that keeps a replay right: every value the replay uses is one the tracer saw made.
Each array an op reads is an argument, the result of a recorded line, a tensor from before the
call (a weight, read fresh at every replay), or a constant given by Python code. A tensor made
during the call in any other way (its value read out of another tensor without an op the
tracer saw) raises CompileError where it is used, and so does a tensor from before the call
whose values change without a recorded write (NumPy writing into ``w.numpy()``). Values that decide Python
control flow (item(), bool(), numpy()), random numbers, boolean-mask indexing with a mask
computed in the call (the result's shape depends on values), hooks and create_graph raise
CompileError too. Results come back as tensors without a graph.

One program is kept per signature of the arguments (shapes, dtypes, and the values of Python
numbers), at most `max_programs` of them (8): past that the least recently used is dropped and
traced again if its signature comes back. Replacing a module's Parameter, buffer or submodule
(``model.fc = nn.Linear(...)``) makes every program trace again on its next call; rebinding a
plain Python name to a new tensor is not seen, so keep the tensors a step uses in modules.
"""
from __future__ import annotations

import functools
import itertools
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from .core import engine
from .core.tracer import Tracer as Events
from .core.engine import _mode
from .core.function import Function, unbroadcast
from .core.tensor_base import TensorBase
from .core.version import bump as _bump
from .core.version import clock as _clock
from .nn.module import _structure
from .ops.movement import Index, _region, _TwoStep
from .tensor import Tensor

__all__ = ["compile", "Compiled", "CompileError", "Program", "Tracer"]


class CompileError(RuntimeError):
    """The function does something a replay could not repeat faithfully."""


def compile(fn: Callable[..., Any] | None = None, *, max_programs: int = 8) -> Any:   # noqa: A001 (PyTorch's name)
    """Trace ``fn`` on its first call (per argument shapes and dtypes) and replay it after."""
    if fn is None:
        return functools.partial(compile, max_programs=max_programs)
    return Compiled(fn, max_programs)


class Compiled:
    """A traced function: one replay program per signature of its arguments (the most recently
    used `max_programs` of them)."""

    def __init__(self, fn: Callable[..., Any], max_programs: int = 8) -> None:
        if max_programs < 1:
            raise ValueError(f"max_programs must be at least 1; got {max_programs}")
        self.fn = fn
        self.max_programs = max_programs
        self.programs: OrderedDict[tuple[Any, ...], Program] = OrderedDict()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        key = _signature(args)
        program = self.programs.get(key)
        if program is None or program.structure != _structure[0]:   # new signature, or a weight replaced
            program, result = _trace(self.fn, args)
            self.programs[key] = program
            self.programs.move_to_end(key)
            if len(self.programs) > self.max_programs:
                self.programs.popitem(last=False)   # the least recently used
            return result
        self.programs.move_to_end(key)
        previous = _mode.enabled
        _mode.enabled = False   # the replay computes values; no graph is built
        try:
            return program.replay(*args)
        finally:
            _mode.enabled = previous

    @property
    def source(self) -> str:
        """The replay code of the most recently used program (what each call runs)."""
        if not self.programs:
            return "(not traced yet: call the function once)"
        return next(reversed(self.programs.values())).source


def _signature(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """What must match for a replay: each argument's kind, shape and dtype (or its value)."""
    key: list[tuple[Any, ...]] = []   # per argument: (shape, dtype, requires_grad), or ("value", type, value)
    for arg in args:
        if isinstance(arg, Tensor):
            data = arg._array
            key.append((data.shape, data.dtype, arg._requires_grad))
        elif isinstance(arg, np.ndarray):
            key.append((arg.shape, arg.dtype, None))
        else:
            try:
                hash(arg)
            except TypeError:
                raise CompileError(f"compiled functions take tensors, arrays and hashable constants; got "
                                   f"{type(arg).__name__}") from None
            key.append(("value", type(arg), arg))
    return tuple(key)


# --- tracing --------------------------------------------------------------------------------------

def _trace(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Program, Any]:
    if _mode.tracer is not None:
        raise CompileError("a compiled function cannot call another compiled function while tracing")
    tracer = Tracer(args)
    _mode.tracer = tracer
    _mode.watching = True
    make, init = TensorBase.__dict__["_make"], TensorBase.__init__
    # The constructors are swapped for the trace and put back after it; setattr, as replacing a
    # method is deliberate here (a type checker flags a plain assignment to one).
    traced_make, traced_init = tracer.watched_constructors(make.__func__, init)
    setattr(TensorBase, "_make", traced_make)
    setattr(TensorBase, "__init__", traced_init)
    try:
        result = fn(*args)
        tracer.check_outside_tensors("by the end of the call")
    finally:
        setattr(TensorBase, "_make", make)
        setattr(TensorBase, "__init__", init)
        _mode.tracer = None
        _mode.watching = _mode.anomaly
    return tracer.program(result), result


class Tracer(Events):
    """Listens to the library during one eager call and writes the replay program's lines.

    The events it hears are declared, each with what it means, in core/tracer.py; for each this
    class writes the replay's lines, or raises CompileError for what a replay cannot repeat
    (concrete, random, unsupported).

    Besides the events, the tracer sees every tensor made during the call (it wraps Tensor's
    constructors while tracing), so a tensor that none of the events explains is refused where it
    is used; and it keeps a copy of each tensor from before the call that the step reads, so a
    change the events do not explain is refused too.
    """

    def __init__(self, args: tuple[Any, ...]) -> None:
        self.names: dict[int, str] = {}     # id(array or tensor) -> expression for it in the program
        self.named_arrays: list[tuple[np.ndarray, str]] = []   # for finding views that alias a named array
        self.keep: list[Any] = []           # keeps traced objects alive, so their ids stay unique
        self.objects: dict[str, Any] = {}   # name -> object the program refers to
        self.lines: list[str] = []
        self.counter = itertools.count()
        self.object_names: dict[int, str] = {}       # id(object) -> its name, one name per object
        self.leaves: list[Tensor] = []                # leaves that backward passes accumulate into
        self.born: dict[int, Tensor] = {}             # tensors made during the call, by id
        self.born_arrays: dict[int, Tensor] = {}      # their arrays, by id
        self.outside: dict[int, tuple[Tensor, np.ndarray, np.ndarray]] = {}   # tensors from before: (t, array, copy)
        self.shares: dict[int, Tensor] = {}           # detach()/.data tensors made in the call, to their source
        self._arity = len(args)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                self._bind(arg, f"a{i}._array")
                self._bind(arg._array, f"a{i}._array")
            elif isinstance(arg, np.ndarray):
                self._bind(arg, f"a{i}")

    def watched_constructors(self, make: Callable[..., Any],
                             init: Callable[..., Any]) -> tuple[Any, Callable[..., Any]]:
        """TensorBase._make and __init__ that also note each tensor made while this tracer listens."""
        tracer = self

        def note(t: Tensor) -> None:
            if _mode.tracer is tracer:   # not inside an opaque call (an optimizer's state is its own)
                tracer.born[id(t)] = t
                tracer.born_arrays[id(t._array)] = t
                tracer.keep.append(t._array)

        def traced_make(data: np.ndarray, grad_fn: Any) -> Tensor:
            t: Tensor = make(data, grad_fn)
            note(t)
            return t

        def traced_init(t: Tensor, *args: Any, **kwargs: Any) -> None:
            init(t, *args, **kwargs)
            note(t)

        return staticmethod(traced_make), traced_init

    # -- names for things

    def _bind(self, obj: Any, name: str) -> None:
        self.names[id(obj)] = name
        self.keep.append(obj)
        if isinstance(obj, np.ndarray):
            self.named_arrays.append((obj, name))

    def _object(self, obj: Any, prefix: str) -> str:
        name = self.object_names.get(id(obj))
        if name is None:
            name = self.object_names[id(obj)] = f"{prefix}{next(self.counter)}"
            self.objects[name] = obj
            self.keep.append(obj)
        return name

    def _alias(self, array: np.ndarray) -> str | None:
        """The name of a named array that `array` is the very same view of (x.detach(), x.view())."""
        if array.base is None:
            return None
        where = array.__array_interface__["data"][0]
        for named, name in self.named_arrays[::-1]:
            if (named.shape == array.shape and named.strides == array.strides and named.dtype == array.dtype
                    and named.__array_interface__["data"][0] == where):
                return name
        return None

    def _source(self, t: Tensor) -> Tensor:
        """The tensor whose memory `t` is, through detach() and .data (t itself if neither)."""
        while id(t) in self.shares and t._array.base is not None:   # until .data = ... rebinds it
            t = self.shares[id(t)]
        return t

    def _array_expr(self, value: Any) -> str:
        """How the program gets this argument's value at replay time."""
        if id(value) in self.shares:
            value = self._source(value)
        key = id(value)
        if key in self.names:
            return self.names[key]
        if isinstance(value, Tensor):
            for leaf in self.leaves:                   # some parameter's .grad: read it fresh
                if leaf._grad is value:
                    return f"{self._object(leaf, 'p')}.grad._array"
            data = value._array
            if id(data) in self.names:
                return self.names[id(data)]
            alias = self._alias(data)
            if alias is not None:
                return alias
            if key in self.born:
                self._unexplained(f"a tensor of shape {tuple(value.shape)}")
            self._watch_outside(value)
            return f"{self._object(value, 't')}._array"   # a tensor from before the call (a weight): its current data
        if isinstance(value, np.ndarray):
            alias = self._alias(value)
            if alias is not None:
                return alias
            if key in self.born_arrays:
                self._unexplained(f"the array of a tensor of shape {tuple(value.shape)}")
            return self._object(value, "k")            # an array the Python code gave: a constant
        if isinstance(value, (tuple, list)):           # an index may hold arrays computed in the call
            parts = [self._array_expr(v) for v in value]
            if any(not (p.startswith("k") and p[1:].isdigit()) for p in parts):
                inner = ", ".join(parts)
                return f"({inner},)" if isinstance(value, tuple) else f"[{inner}]"
        elif type(value) is _TwoStep:
            basic, rest = self._array_expr(value.basic), self._array_expr(value.rest)
            return f"TwoStep({basic}, {rest})"
        return self._object(value, "k")                # a constant (a number, an index, a dtype)

    def _result(self, result: Tensor, expr: str) -> str:
        name = f"v{next(self.counter)}"
        self.lines.append(f"{name} = {expr}")
        self._bind(result, name)
        self._bind(result._array, name)
        return name

    def _unexplained(self, what: str) -> None:
        raise CompileError(
            f"the compiled function uses {what} that was made during the call from values the tracer did "
            "not see computed (for example read out of another tensor's .numpy(), or by a function "
            "outside tinygrad_la's ops): a replay would reuse the value from the first call. Compute it "
            "with tensor ops (x.clone(), x.detach(), x.to(dtype), torch.stack(...)), or outside the "
            "compiled function.")

    # -- tensors from before the call: read fresh at replay, and must change only as recorded

    def _watch_outside(self, t: Tensor) -> None:
        if id(t) not in self.outside:
            self.outside[id(t)] = (t, t._array, t._array.copy())

    def check_outside_tensors(self, when: str) -> None:
        """Raise if a tensor from before the call changed without a recorded write."""
        for t, array, copy in self.outside.values():
            if t._array is not array or not np.array_equal(array, copy, equal_nan=array.dtype.kind in "fc"):
                raise CompileError(
                    f"a tensor of shape {tuple(t.shape)} from outside the compiled function changed {when} without "
                    "going through tinygrad_la (for example NumPy writing into w.numpy()): a replay could not "
                    "repeat the change. Update it with tensor methods under "
                    "no_grad (w.sub_(lr * w.grad)) or with an optimizer.")

    def _recopy_outside(self, array: np.ndarray | None = None) -> None:
        """A recorded write just changed `array` (None: anything): take new copies of what it touches."""
        for key, (t, old, _) in list(self.outside.items()):
            if array is None or np.may_share_memory(array, t._array):
                self.outside[key] = (t, t._array, t._array.copy())

    # -- what the library reports

    def op(self, ctx: Function, args: tuple[Any, ...], result: Tensor) -> None:
        """A built-in op ran: write the replay line that computes its output from its inputs."""
        cls = type(ctx)
        if not cls.on_arrays:
            self.unsupported(f"the user-defined Function {cls.__name__}")
        if cls is Index and self._masked(args[1]):
            raise CompileError(
                "the compiled function indexes with a boolean mask computed in the call (x[mask]): how many "
                "entries it selects, and every shape and count after it (a mean's divisor), would stay those "
                "of the first call. Use a masked sum instead: (x * mask).sum() / mask.sum(), or "
                "torch.where(mask, x, 0).")
        fn = self._object(cls.forward, "f")
        c = self._object(ctx, "c")
        call = f"{fn}({', '.join([c] + [self._array_expr(a) for a in args])})"
        self._result(result, call if result._array.ndim else f"asarray({call})")   # NumPy gives 0-d scalars
        if ctx._parents and ctx._saved is not None:
            self.lines.append(f"{c}._made_at = clock[0]")   # its saved values are fresh again

    def _masked(self, index: Any) -> bool:
        """Does the index hold a boolean mask that is not a constant of the program?"""
        if type(index) is _TwoStep:
            return self._masked(index.basic) or self._masked(index.rest)
        items = index if isinstance(index, tuple) else (index,)
        return any(isinstance(i, np.ndarray) and i.dtype == np.bool_ and not self._array_expr(i).startswith("k")
                   for i in items)

    def constant(self, fn: Callable[..., Any], args: tuple[Any, ...], result: Tensor) -> None:
        """A result without gradient (comparison, argmax, indices): the replay calls `fn` on the same inputs."""
        f = self._object(fn, "f")
        self._result(result, f"asarray({f}({', '.join(self._array_expr(a) for a in args)}))")

    def created(self, tensor: Tensor, source: Any = None) -> None:
        """A creation function made `tensor` inside the call: the replay makes it again (refused if it
        requires grad)."""
        if tensor._requires_grad:
            self.unsupported("a tensor that requires grad made inside the call (make parameters outside "
                             "the compiled function, or in a module)")
        if isinstance(source, (list, tuple)) and _holds_tensor(source):
            self._unexplained("tensor() of a list holding tensors, whose values")
        if isinstance(source, (Tensor, np.ndarray)):
            array = source._array if isinstance(source, Tensor) else source
            expr = self._array_expr(source)
            if tensor._array is array:                   # as_tensor/from_numpy: the same memory
                self._bind(tensor, expr)
                self._bind(tensor._array, expr)
            else:
                self._result(tensor, f"array({expr}, dtype={self._object(tensor.dtype, 'k')})")
            return
        self._result(tensor, f"{self._object(tensor._array.copy(), 'k')}.copy()")   # a fresh array each call

    def shared(self, tensor: Tensor, source: Tensor) -> None:
        """`tensor` is `source`'s memory (detach(), .data): the replay reads and writes source's array."""
        self.shares[id(tensor)] = source
        self.keep.append(tensor)

    def copied(self, copy: Tensor, source: Tensor) -> None:
        """`copy` is a copy of `source`: the replay copies the array."""
        self._result(copy, f"{self._array_expr(source)}.copy()")

    def inplace(self, target: Tensor, ufunc: Any, op: Callable[..., Any], other: Any) -> None:
        """An unrecorded in-place change of `target` by `ufunc` with `other` (under no_grad): the replay
        makes it too."""
        if ufunc is None:
            self.unsupported("fill_/copy_/clamp_ under no_grad")
        target = self._source(target)
        u = self._object(ufunc, "u")
        t = self._array_expr(target)
        self.lines.append(f"{u}({t}, {self._array_expr(other)}, out={t}, casting='same_kind')")
        self._bump_line(target)
        entry = self.outside.get(id(target))
        if entry is not None:   # the write happens after this event: expect its result
            value = other._array if isinstance(other, Tensor) else other
            copy = entry[2].copy()
            ufunc(copy, value, out=copy, casting="same_kind")
            self.outside[id(target)] = (target, target._array, copy)
        elif any(np.may_share_memory(target._array, t._array) for t, _, _ in self.outside.values()):
            self.unsupported("an in-place change under no_grad of a view of a tensor from outside the call")

    def inplace_recorded(self, target: Tensor, result: Tensor) -> None:
        """`target` was overwritten with `result` by an in-place op the graph recorded."""
        target = self._source(target)
        t = self._array_expr(target)
        self.lines.append(f"copyto({t}, {self._array_expr(result)})")
        self._bump_line(target)
        self._recopy_outside(target._array)

    def setitem(self, target: Tensor, index: Any, value: Any) -> None:
        """``target[index] = value`` without recording: the replay assigns the same entries."""
        target = self._source(target)
        t = self._array_expr(target)
        self.lines.append(f"assign({t}, {self._array_expr(index)}, {self._array_expr(value)})")
        self._bump_line(target)
        self._recopy_outside(target._array)

    def _bump_line(self, target: Tensor) -> None:
        if id(target) in self.outside:   # eager graphs built outside see the change, as after an eager step
            self.lines.append(f"bump({self._object(target, 't')})")

    def set_grad(self, tensor: Tensor, value: Any) -> None:
        """A tensor's .grad was set (to None; a tensor assigned there is refused)."""
        if value is not None:
            self.unsupported("assigning a tensor to .grad")
        self.lines.append(f"{self._object(tensor, 'p')}.grad = None")

    def call(self, method: Callable[..., Any], *args: Any, replay: Callable[..., Any] | None = None) -> Any:
        """An opaque call (optimizer.step, zero_grad, clip_grad_norm_): run it now untraced, and on
        every replay (as `replay` when the method offers a cheaper version for replays). A tensor it
        returns is read from the replay's own call."""
        self.check_outside_tensors("before " + getattr(method, "__qualname__", "a call"))
        again = self._object(replay or method, "m")
        line = f"{again}({', '.join(self._call_arg(a) for a in args)})"
        _mode.tracer = None
        try:
            result = method(*args)
        finally:
            _mode.tracer = self
        self._recopy_outside()   # the call may update weights: that is recorded by the call itself
        if isinstance(result, Tensor):
            name = f"v{next(self.counter)}"
            self.lines.append(f"{name} = {line}")
            self._bind(result, f"{name}._array")
            self._bind(result._array, f"{name}._array")
        else:
            self.lines.append(line)
        return result

    def _call_arg(self, arg: Any) -> str:
        if isinstance(arg, Tensor) and id(arg) in self.names:   # computed in the call: this replay's value
            return f"Tensor._make({self.names[id(arg)]}, None)"
        return self._object(arg, "k")

    def backward(self, roots: list[Any], root_grads: list[Any], create_graph: bool, capture: Any) -> None:
        """A backward pass begins: seed the gradients of its roots."""
        if create_graph or capture is not None:
            self.unsupported("create_graph=True or autograd.grad")
        self.grad_names: dict[Any, str] = {}
        self.sweep = f"sweep{next(self.counter)}"
        self.lines.append(f"{self.sweep} = Sweep(False, True)")
        for root, seed in zip(roots, root_grads):
            self._add_grad(root, self._object(np.array(seed, copy=True), "k"))

    def node(self, node: Any, grad: Any, parent_grads: list[Any]) -> None:
        """The engine has just run one node's backward: write the same step as plain statements."""
        g = self.grad_names[node]
        if not node._parents:                              # a leaf: its gradient ends here
            if node._hooks:
                self.unsupported("hooks on tensors")
            self.lines.append(f"{self._object(node, 'p')}._accumulate({g}, {self.sweep})")
            self.leaves.append(node)
            return
        cls = type(node)
        if not cls.on_arrays:
            self.unsupported(f"backward through the user-defined Function {cls.__name__}")
        if node._extra:
            self.unsupported("hooks or retain_grad on a traced tensor")
        # run the formula once more to see its raw results: tuple or not, shapes to undo broadcasting of
        raw = cls.backward(node, grad)
        single = type(raw) is not tuple
        raw = (raw,) if single else raw
        d = f"d{next(self.counter)}"
        self.lines.append(f"{d} = {self._object(cls.backward, 'b')}({self._object(node, 'c')}, {g})")
        for i, (parent, out) in enumerate(zip(node._parents, parent_grads)):
            if parent is None or out is None:
                continue
            expr = d if single else f"{d}[{i}]"
            if type(raw[i]) is not np.ndarray:
                expr = f"asarray({expr})"
            if np.shape(raw[i]) != parent._shape:
                expr = f"unbroadcast({expr}, {self._object(tuple(parent._shape), 's')})"
            self._add_grad(parent, expr)

    def _add_grad(self, node: Any, expr: str) -> None:
        name = self.grad_names.get(node)
        if name is None:
            name = self.grad_names[node] = f"g{next(self.counter)}"
            self.lines.append(f"{name} = {expr}")
        else:
            self.lines.append(f"{name} = {name} + {expr}")

    def concrete(self, tensor: Tensor, how: str) -> None:
        """Refuse a value read into Python: a replay could not follow a decision made on it."""
        raise CompileError(
            f"the compiled function reads a tensor's value with {how}: a replay could not follow a "
            "Python decision made on it, nor refresh a value taken out of the graph. Return the tensor "
            "and read it outside the compiled function (loss = step(...); loss.item()).")

    def random(self) -> None:
        """Refuse random numbers: a replay would repeat the same draws."""
        raise CompileError("the compiled function draws random numbers (dropout, rand, randn): a replay "
                           "would repeat the same draws. Keep random layers out of compiled steps (model.eval()).")

    def unsupported(self, what: str) -> None:
        """Refuse what a replay cannot repeat, naming it (`what`)."""
        raise CompileError(f"tinygrad_la.compile cannot replay {what}; run this function eagerly instead")

    # -- the program

    def program(self, result: Any) -> Program:
        """The replay program: the lines written so far, compiled into a function, with `result`'s outputs."""
        outputs = _map_outputs(result, self._output_expr)
        body = ["def replay(" + ", ".join(f"a{i}" for i in range(self._arity)) + "):"]
        body += ["    " + line for line in self.lines] or ["    pass"]
        body.append(f"    return {outputs}")
        source = "\n".join(body)
        namespace = dict(self.objects, asarray=np.asarray, array=np.array, copyto=np.copyto, assign=_assign,
                         TwoStep=_TwoStep, unbroadcast=unbroadcast, clock=_clock, bump=_bump,
                         Sweep=engine.Sweep, Tensor=Tensor)
        exec(source, namespace)   # noqa: S102 (our own generated code)
        return Program(namespace["replay"], source, _structure[0])

    def _output_expr(self, tensor: Tensor) -> str:
        key = id(tensor)
        expr = self.names.get(key) or self.names.get(id(tensor._array)) or self._alias(tensor._array)
        if expr is None:
            raise CompileError("the compiled function returns a tensor it did not compute from its arguments "
                               "or weights with tensor ops; return only results of tensor ops")
        return f"Tensor._make({expr}, None)"


def _assign(array: np.ndarray, index: Any, value: Any) -> None:
    """array[index] = value, with PyTorch's reading of the index (as shape_ops.setitem)."""
    region, at = _region(array, index)
    region[at] = value


def _holds_tensor(items: Any) -> bool:
    return any(isinstance(i, Tensor) or isinstance(i, (list, tuple)) and _holds_tensor(i) for i in items)


def _map_outputs(result: Any, tensor_expr: Callable[[Tensor], str]) -> str:
    if result is None:
        return "None"
    if isinstance(result, Tensor):
        return tensor_expr(result)
    if isinstance(result, (tuple, list)):
        inner = ", ".join(_map_outputs(r, tensor_expr) for r in result)
        return f"({inner},)" if isinstance(result, tuple) else f"[{inner}]"
    if isinstance(result, (int, float, str, bool)):
        return repr(result)
    raise CompileError(f"a compiled function returns tensors, tuples of them, or None; got {type(result).__name__}")


class Program:
    """One traced signature: the generated replay function, its source, and the module structure
    clock it was traced at (a replaced Parameter makes it stale)."""

    def __init__(self, replay: Callable[..., Any], source: str, structure: int) -> None:
        self.replay, self.source, self.structure = replay, source, structure
