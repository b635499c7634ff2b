"""Value: one number that remembers how it was computed (chapter 23.3: "one neuron at a time").

A neuron computes h = σ(w·x + b) from a handful of numbers. Make each of those numbers a
`Value` and every `+`, `*` and `tanh` leaves a node behind; `h.backward()` then walks the nodes
from h back to w, x and b and stores dh/dw, dh/dx, dh/db in their `.grad`.

The walk is `engine.backward`, the very algorithm `Tensor` uses. A Value follows the engine's
node protocol itself:

    _parents                 the Values this one was computed from
    _backprop(grad, sweep)   the chain rule: grads for the parents from the grad of this node
    _release()               nothing to free (a Value saves no arrays)

Each op's local derivative is one line in the table below, written once with operators, so it
runs on floats in the ordinary backward pass and on Values under `create_graph=True`, where it
records itself and can be differentiated again (second derivatives).

Every op answers as PyTorch does on a float64 0-d tensor, special points included: where Python's
float arithmetic raises (1/0, 0 ** -1, log 0, exp 1000) or goes complex ((-8) ** (1/3)), a Value
gives IEEE's inf or nan, so a Value and a Tensor computation of the same formula agree.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence, Union

import numpy as np

from .core import engine
from .core.engine import _mode
from .ops.elementwise import sigmoid_pair
from .tensor import Tensor

__all__ = ["Value", "value_grad", "Number"]

Number = Union[int, float]

# The derivative table and the arithmetic below take floats in a plain backward pass and Values
# under create_graph, so their arguments and results are typed Any.


# ---------------------------------------------------------------------------------------------
# the derivative table: g = d(loss)/d(out); each returns d(loss)/d(parent) for every parent.
# Called as d(g, out, a, b) with floats (out.data, a.data, ...) in a plain backward pass and with
# the Values themselves under create_graph. b is the second parent, or a constant exponent.
# ---------------------------------------------------------------------------------------------

def _d_add(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da (a+b) = 1,  d/db (a+b) = 1"""
    return g, g


def _d_sub(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da (a-b) = 1,  d/db (a-b) = -1"""
    return g, -g


def _d_mul(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da (a*b) = b,  d/db (a*b) = a"""
    return g * b, g * a


def _d_div(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da (a/b) = 1/b,  d/db (a/b) = -a/b² = -(out/b)"""
    return _div(g, b), -g * _div(out, b)


def _d_pow_number(g: Any, out: Any, a: Any, n: Any) -> tuple[Any, ...]:
    """d/da aⁿ = n aⁿ⁻¹   (n a constant number; 0 for n = 0, whatever a is, as in PyTorch)"""
    return (g * (n * _pow_number(a, n - 1)) if n != 0 else 0.0,)


def _d_pow(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da aᵇ = b aᵇ⁻¹ (0 for b = 0),  d/db aᵇ = aᵇ log a (0 at a = 0 for b ≥ 0), as in PyTorch"""
    da = g * (b * _pow(a, b - 1))
    if _number(b) == 0 and not math.isfinite(_number(da)):
        da = 0.0   # 0·inf or 0·nan: PyTorch's 0 (a finite 0·aᵇ⁻¹ is kept, so d²/db da stays right)
    db = 0.0 if _number(a) == 0 and _number(b) >= 0 else g * (out * _log(a))
    return da, db


def _d_neg(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da (-a) = -1"""
    return (-g,)


def _d_exp(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da eᵃ = eᵃ = out"""
    return (g * out,)


def _d_log(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da log a = 1/a"""
    return (_div(g, a),)


def _d_tanh(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da tanh a = 1 - tanh² a = 1 - out²"""
    return (g * (1 - out * out),)


def _d_sigmoid(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da σ(a) = σ(a)(1 - σ(a)) = σ(a)·σ(-a)"""
    if isinstance(a, float):   # σ(-a) itself, not 1 - σ(a), which rounds to 0 far out
        return (g * out * sigmoid_pair(a)[1],)
    return (g * (1 - out) * out,)   # create_graph: a function of the Value a


def _d_relu(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    """d/da max(0, a) = 0 if a <= 0 else 1   (so 1 at nan, as PyTorch's threshold_backward)"""
    return (0.0 if a <= 0 else g,)


# The arithmetic the table and the ops share, on floats or on Values (under create_graph): Python's
# float operators where they answer, IEEE's inf and nan where they would raise.

def _number(x: Any) -> float:
    """The float inside a Value, or the float itself."""
    number: float = x.data if isinstance(x, Value) else x
    return number


def _div(a: Any, b: Any) -> Any:
    """a / b, with a / 0 = ±inf (nan for 0/0 and nan/0), as IEEE and PyTorch."""
    try:
        return a / b
    except ZeroDivisionError:   # only floats raise: b is ±0
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.float64(a) / np.float64(b))


def _pow(a: Any, b: Any) -> Any:
    """a ** b as C's pow (and PyTorch): 0 ** -1 = inf, (-8) ** (1/3) = nan, 10 ** 400 = inf."""
    try:
        out = a ** b
    except (ZeroDivisionError, OverflowError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(a), np.float64(b)))
    return math.nan if type(out) is complex else out   # a negative base and a fractional exponent


def _pow_number(a: Any, n: Number) -> Any:
    """a ** n for a constant n, as PyTorch computes it: a·a, a·a·a, 1/a, 1/(a·a), √a and 1/√a for
    n = 2, 3, -1, -2, 1/2, -1/2 (so the last bit agrees, (-0) ** 0.5 = -0 and (-inf) ** 0.5 = nan),
    C's pow otherwise."""
    if isinstance(a, Value) or n not in _POW_SPECIAL:
        return _pow(a, n)
    if n == 2:
        return a * a
    if n == 3:
        return a * a * a
    if n == -1:
        return _div(1.0, a)
    if n == -2:
        return _div(1.0, a * a)
    root = _sqrt(a)
    return root if n > 0 else _div(1.0, root)


_POW_SPECIAL = frozenset((2, 3, -1, -2, 0.5, -0.5))


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan   # √(-0) = -0; nan for x < 0 and for nan


def _log(x: Any) -> Any:
    """log x, with log 0 = -inf and log x = nan for x < 0, as IEEE and PyTorch."""
    if isinstance(x, Value):
        return x.log()
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


# ---------------------------------------------------------------------------------------------
# Value
# ---------------------------------------------------------------------------------------------

class Value:
    """A scalar that records the ops applied to it, micrograd-style, on the shared engine.

    >>> w, x, b = Value(-3.0), Value(2.0), Value(6.8813735870195432)
    >>> h = (w * x + b).tanh(); h.backward()
    >>> round(h.data, 4), round(w.grad, 4)
    (0.7071, 1.0)
    """

    __slots__ = ("data", "grad", "label", "_parents", "_op", "_deriv", "_aux")
    data: float
    grad: Any          # a float, or a Value under create_graph
    label: str
    _parents: tuple[Value, ...]
    _op: str
    _deriv: Callable[..., tuple[Any, ...]] | None
    _aux: Any

    # what a Tensor's error says when it meets a Value (see core/tensor_base.py's _operand)
    _mixed_with_tensor = (" (a Value is a scalar of its own engine: use value.data for its number, or compute "
                          "with tensors throughout)")

    def __init__(self, data: Number, _children: Any = (), _op: str = "", label: str = "") -> None:
        # micrograd's signature, so the lecture's code runs: Value(data, _children=(), _op='', label='');
        # Value(2.0, "x") (a label second) is read as a label, as this class has always taken it
        if not isinstance(data, numbers.Real) or isinstance(data, Value):
            raise TypeError(f"Value holds one real number (int or float); got {type(data).__name__}"
                            + (". Use Tensor for arrays." if hasattr(data, "__len__") else "."))
        if isinstance(_children, str):
            _children, label = (), _children
        self.data = float(data)
        self.grad = 0.0          # d(root)/d(self), filled in by backward(); reset with v.grad = 0.0
        self.label = label       # a name for graph pictures
        self._parents = tuple(_children)
        if any(not isinstance(child, Value) for child in self._parents):
            raise TypeError("Value(data, _children): the children must be Values")
        self._op = _op           # what made this node: "+", "*", "tanh", ... ("" for a leaf)
        self._deriv = None       # its row of the derivative table
        self._aux: Any = None    # a constant the derivative needs (the exponent of x**2)

    # --- binary ops ---------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """a + b;  d/da = 1, d/db = 1"""
        b = other if type(other) is Value else _lift(other)
        if b is NotImplemented:
            return b
        return _node(self.data + b.data, (self, b), "+", _d_add)

    def __sub__(self, other: Value | Number) -> Value:
        """a - b;  d/da = 1, d/db = -1"""
        b = other if type(other) is Value else _lift(other)
        if b is NotImplemented:
            return b
        return _node(self.data - b.data, (self, b), "-", _d_sub)

    def __mul__(self, other: Value | Number) -> Value:
        """a * b;  d/da = b, d/db = a"""
        b = other if type(other) is Value else _lift(other)
        if b is NotImplemented:
            return b
        return _node(self.data * b.data, (self, b), "*", _d_mul)

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b;  d/da = 1/b, d/db = -a/b²"""
        b = other if type(other) is Value else _lift(other)
        if b is NotImplemented:
            return b
        return _node(_div(self.data, b.data), (self, b), "/", _d_div)

    def __pow__(self, other: Value | Number) -> Value:
        """a ** n (number n: d/da = n aⁿ⁻¹) or a ** b (Value b: also d/db = aᵇ log a)"""
        if isinstance(other, Value):
            out = _node(_pow(self.data, other.data), (self, other), "**", _d_pow)
        elif type(other) is int or type(other) is float or isinstance(other, numbers.Real):
            if type(other) is not int and type(other) is not float:
                # a NumPy scalar acts as the Python number it holds (NumPy's pow would warn, not answer)
                other = int(other) if isinstance(other, numbers.Integral) else float(other)
            out = _node(_pow_number(self.data, other), (self,), f"**{other}", _d_pow_number)
            out._aux = other
        else:
            return _lift(other)   # NotImplemented, or the TypeError for a Tensor
        return out

    def __neg__(self) -> Value:
        """-a;  d/da = -1"""
        return _node(-self.data, (self,), "neg", _d_neg)

    # numbers on the left: 2 + v, 2 - v, 2 * v, 2 / v, 2 ** v
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Number) -> Value:
        """n - a, for a number on the left;  d/da = -1."""
        other = _lift(other)
        return other if other is NotImplemented else other - self

    def __rtruediv__(self, other: Number) -> Value:
        # as micrograd and PyTorch compute it, other · a⁻¹: so 0 / Value(1e-300) has PyTorch's gradient
        """n / a, computed as n·a⁻¹ (as PyTorch);  d/da = -n/a²."""
        other = _lift(other)
        return other if other is NotImplemented else other * self ** -1

    def __rpow__(self, other: Number) -> Value:
        """n ** a, for a number base;  d/da = nᵃ log n."""
        other = _lift(other)
        return other if other is NotImplemented else other ** self

    # --- functions ----------------------------------------------------------------------------

    def exp(self) -> Value:
        """eᵃ;  d/da = eᵃ"""
        try:
            data = math.exp(self.data)
        except OverflowError:
            data = math.inf
        return _node(data, (self,), "exp", _d_exp)

    def log(self) -> Value:
        """log a (natural; log 0 = -inf, nan for a < 0);  d/da = 1/a"""
        return _node(_log(self.data), (self,), "log", _d_log)

    def tanh(self) -> Value:
        """tanh a;  d/da = 1 - tanh² a"""
        return _node(math.tanh(self.data), (self,), "tanh", _d_tanh)

    def sigmoid(self) -> Value:
        """σ(a) = 1 / (1 + e⁻ᵃ);  d/da = σ(a)(1 - σ(a))"""
        return _node(sigmoid_pair(float(self.data))[0], (self,), "sigmoid", _d_sigmoid)

    def relu(self) -> Value:
        """max(0, a) (23.2; nan stays nan, as in PyTorch);  d/da = 0 if a <= 0 else 1"""
        a = self.data
        return _node(0.0 if a < 0 else a, (self,), "ReLU", _d_relu)

    # --- comparisons on data (== and hash stay identity, so Values can key dicts and sets) ------

    def __lt__(self, other: Value | Number) -> bool:
        """a < b on the numbers (not recorded)."""
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Value | Number) -> bool:
        """a <= b on the numbers (not recorded)."""
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Value | Number) -> bool:
        """a > b on the numbers (not recorded)."""
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Value | Number) -> bool:
        """a >= b on the numbers (not recorded)."""
        return self.data >= (other.data if isinstance(other, Value) else other)

    def __float__(self) -> float:
        """The number itself."""
        return self.data

    # --- backward -----------------------------------------------------------------------------

    def backward(self, gradient: Value | Number | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Add d(self)/d(node) into every node's .grad (seed d(self)/d(self) = `gradient`, default 1).

        Grads accumulate: call twice and they add up; reset with ``v.grad = 0.0``. A Value saves
        nothing for backward, so the graph can always be walked again (retain_graph is accepted
        for PyTorch's sake). With create_graph=True the grads are Values, recorded as they are
        computed, so ``x.grad.backward()`` gives second derivatives.
        """
        seed = 1.0 if gradient is None else gradient
        if create_graph:
            seed = seed if isinstance(seed, Value) else Value(seed)
        else:
            seed = float(seed)
        engine.backward([self], [seed], retain_graph=bool(retain_graph), create_graph=create_graph)

    # --- the node protocol (engine.py) --------------------------------------------------------

    def _backprop(self, grad: Any, sweep: engine.Sweep) -> tuple[Any, ...]:
        parents = self._parents
        deriv = self._deriv
        if not sweep.create_graph:           # the fast path: plain floats
            if sweep.accumulate:
                self.grad += grad
            if not parents:
                return ()
            if deriv is None:
                raise _no_derivative(self)
            if len(parents) == 2:
                return deriv(grad, self.data, parents[0].data, parents[1].data)
            return deriv(grad, self.data, parents[0].data, self._aux)
        if sweep.accumulate:                 # higher order: the same formulas, on Values
            current = self.grad
            self.grad = grad if type(current) is float and current == 0.0 else current + grad
        if not parents:
            return ()
        if deriv is None:
            raise _no_derivative(self)
        if len(parents) == 2:
            return deriv(grad, self, parents[0], parents[1])
        return deriv(grad, self, parents[0], self._aux)

    def _release(self) -> None:
        pass

    # --- micrograd's names for the graph, so its drawing and manual-backprop code runs ----------

    @property
    def _prev(self) -> set[Value]:
        """The Values this one was computed from, as a set (micrograd's name)."""
        return set(self._parents)

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: calling it adds this node's share of the chain rule to its
        children's .grad (from this node's .grad), as the lecture does by hand, node by node."""
        def step() -> None:
            parents, deriv = self._parents, self._deriv
            if not parents or deriv is None:
                return
            other = parents[1].data if len(parents) == 2 else self._aux
            for parent, share in zip(parents, deriv(self.grad, self.data, parents[0].data, other)):
                parent.grad += share
        return step

    def draw(self, **kwargs: Any) -> Any:
        """The graph that computed this Value, as a graphviz picture (see viz.py)."""
        from .viz import draw_graph
        return draw_graph(self, **kwargs)

    def __repr__(self) -> str:
        """``Value(data=..., grad=...)``."""
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


_new = object.__new__


def _node(data: float, parents: tuple[Value, ...], op: str, deriv: Callable[..., tuple[Any, ...]] | None) -> Value:
    # What every op returns: __init__ without the checks (the data is already a float).
    # Under no_grad() nothing is recorded: the result is a constant, as a Tensor's would be.
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._parents = parents if _mode.enabled else ()
    out._op = op
    out._deriv = deriv
    out._aux = None
    return out


def _no_derivative(node: Value) -> RuntimeError:
    return RuntimeError(f"the Value {node.label or node.data!r} was made as Value(data, _children, _op={node._op!r}) "
                        "and has no derivative rule, so backward cannot pass its gradient on. Compute it with "
                        "the operators and methods (a + b, a * b, a.tanh()), which record their derivatives.")


def _lift(x: Any) -> Any:
    """A number beside a Value becomes a constant Value; anything else is not ours to handle."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):   # Python's numbers and NumPy's scalars alike
        return _node(float(x), (), "", None)
    if isinstance(x, Tensor):
        # an object-dtype tensor of Values would record two graphs that know nothing of each other
        raise TypeError("cannot combine a Value with a Tensor: they are separate autograd engines. Use "
                        "v.data for the Value's number (tensor + v.data), or make it a Tensor "
                        "(tg.tensor(v.data, requires_grad=True)) and compute with tensors throughout")
    return NotImplemented


def value_grad(output: Value, inputs: Value | Sequence[Value],
               create_graph: bool = False) -> list[Any]:
    """d(output)/d(input) for each input, returned as a list; nothing is added into .grad.

    Floats, or with create_graph=True Values that can be differentiated again. An input the
    output does not depend on gets 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"value_grad differentiates a Value; got {type(output).__name__}")
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"value_grad inputs must be Values; inputs[{i}] is {type(v).__name__}")
    seed = Value(1.0) if create_graph else 1.0
    grads = engine.backward([output], [seed], retain_graph=True, create_graph=create_graph,
                            capture=inputs)
    assert grads is not None
    if not create_graph:
        return [0.0 if g is None else float(g) for g in grads]
    return [g if isinstance(g, Value) else Value(0.0 if g is None else g) for g in grads]
