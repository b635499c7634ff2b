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
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence, Union

from . import engine
from .engine import _mode

Number = Union[int, float]


# ---------------------------------------------------------------------------------------------
# the derivative table: g = d(loss)/d(out); each returns d(loss)/d(parent) for every parent.
# Called as d(g, out, a, b) with floats (out.data, a.data, ...) in a plain backward pass and with
# the Values themselves under create_graph. b is the second parent, or a constant exponent.
# ---------------------------------------------------------------------------------------------

def _d_add(g, out, a, b):
    """d/da (a+b) = 1,  d/db (a+b) = 1"""
    return g, g


def _d_sub(g, out, a, b):
    """d/da (a-b) = 1,  d/db (a-b) = -1"""
    return g, -g


def _d_mul(g, out, a, b):
    """d/da (a*b) = b,  d/db (a*b) = a"""
    return g * b, g * a


def _d_div(g, out, a, b):
    """d/da (a/b) = 1/b,  d/db (a/b) = -a/b² = -out/b"""
    return g / b, -g * out / b


def _d_pow_number(g, out, a, n):
    """d/da aⁿ = n aⁿ⁻¹   (n a constant number)"""
    return (g * n * a ** (n - 1),)


def _d_pow(g, out, a, b):
    """d/da aᵇ = b aᵇ⁻¹,  d/db aᵇ = aᵇ log a   (0 at a = 0, nan for a < 0, as in PyTorch)"""
    db = g * out * _log(a) if a > 0 else (0.0 if a == 0 else math.nan)
    return g * b * a ** (b - 1), db


def _d_neg(g, out, a, b):
    """d/da (-a) = -1"""
    return (-g,)


def _d_exp(g, out, a, b):
    """d/da eᵃ = eᵃ = out"""
    return (g * out,)


def _d_log(g, out, a, b):
    """d/da log a = 1/a"""
    return (g / a,)


def _d_tanh(g, out, a, b):
    """d/da tanh a = 1 - tanh² a = 1 - out²"""
    return (g * (1 - out * out),)


def _d_sigmoid(g, out, a, b):
    """d/da σ(a) = σ(a)(1 - σ(a)) = out(1 - out)"""
    return (g * out * (1 - out),)


def _d_relu(g, out, a, b):
    """d/da max(0, a) = 1 if a > 0 else 0"""
    return (g if a > 0 else 0.0,)


def _log(x):
    # log for both kinds of operand the table sees: a float, or a Value under create_graph
    return x.log() if isinstance(x, Value) else math.log(x)


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

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(data, numbers.Real) or isinstance(data, Value):
            raise TypeError(f"Value holds one real number (int or float); got {type(data).__name__}"
                            + (". Use Tensor for arrays." if hasattr(data, "__len__") else "."))
        self.data = float(data)
        self.grad = 0.0          # d(root)/d(self), filled in by backward(); reset with v.grad = 0.0
        self.label = label       # a name for graph pictures
        self._parents: tuple = ()
        self._op = ""            # what made this node: "+", "*", "tanh", ... ("" for a leaf)
        self._deriv: Callable | None = None   # its row of the derivative table
        self._aux: Any = None    # a constant the derivative needs (the exponent of x**2)

    # --- binary ops ---------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """a + b;  d/da = 1, d/db = 1"""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        return _node(self.data + other.data, (self, other), "+", _d_add)

    def __sub__(self, other: Value | Number) -> Value:
        """a - b;  d/da = 1, d/db = -1"""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        return _node(self.data - other.data, (self, other), "-", _d_sub)

    def __mul__(self, other: Value | Number) -> Value:
        """a * b;  d/da = b, d/db = a"""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        return _node(self.data * other.data, (self, other), "*", _d_mul)

    def __truediv__(self, other: Value | Number) -> Value:
        """a / b;  d/da = 1/b, d/db = -a/b²"""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return other
        return _node(self.data / other.data, (self, other), "/", _d_div)

    def __pow__(self, other: Value | Number) -> Value:
        """a ** n (number n: d/da = n aⁿ⁻¹) or a ** b (Value b: also d/db = aᵇ log a)"""
        if isinstance(other, Value):
            out = _node(_real_pow(self.data, other.data), (self, other), "**", _d_pow)
        elif isinstance(other, numbers.Real):
            out = _node(_real_pow(self.data, other), (self,), f"**{other}", _d_pow_number)
            out._aux = other
        else:
            return NotImplemented
        return out

    def __neg__(self) -> Value:
        """-a;  d/da = -1"""
        return _node(-self.data, (self,), "neg", _d_neg)

    # numbers on the left: 2 + v, 2 - v, 2 * v, 2 / v, 2 ** v
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: Number) -> Value:
        other = _lift(other)
        return other if other is NotImplemented else other - self

    def __rtruediv__(self, other: Number) -> Value:
        other = _lift(other)
        return other if other is NotImplemented else other / self

    def __rpow__(self, other: Number) -> Value:
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
        """log a (natural);  d/da = 1/a"""
        if self.data <= 0:
            raise ValueError(f"log is defined for positive numbers only; got log({self.data})")
        return _node(math.log(self.data), (self,), "log", _d_log)

    def tanh(self) -> Value:
        """tanh a;  d/da = 1 - tanh² a"""
        return _node(math.tanh(self.data), (self,), "tanh", _d_tanh)

    def sigmoid(self) -> Value:
        """σ(a) = 1 / (1 + e⁻ᵃ);  d/da = σ(a)(1 - σ(a))"""
        a = self.data
        if a >= 0:
            data = 1.0 / (1.0 + math.exp(-a))
        else:                      # same number, written so that exp cannot overflow
            e = math.exp(a)
            data = e / (1.0 + e)
        return _node(data, (self,), "sigmoid", _d_sigmoid)

    def relu(self) -> Value:
        """max(0, a) (23.2);  d/da = 1 if a > 0 else 0"""
        a = self.data
        return _node(a if a > 0 else 0.0, (self,), "ReLU", _d_relu)

    # --- comparisons on data (== and hash stay identity, so Values can key dicts and sets) ------

    def __lt__(self, other: Value | Number) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    def __float__(self) -> float:
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

    def _backprop(self, grad: Any, sweep: engine.Sweep) -> tuple:
        parents = self._parents
        if not sweep.create_graph:           # the fast path: plain floats
            if sweep.accumulate:
                self.grad += grad
            if not parents:
                return ()
            if len(parents) == 2:
                return self._deriv(grad, self.data, parents[0].data, parents[1].data)
            return self._deriv(grad, self.data, parents[0].data, self._aux)
        if sweep.accumulate:                 # higher order: the same formulas, on Values
            current = self.grad
            self.grad = grad if type(current) is float and current == 0.0 else current + grad
        if not parents:
            return ()
        if len(parents) == 2:
            return self._deriv(grad, self, parents[0], parents[1])
        return self._deriv(grad, self, parents[0], self._aux)

    def _release(self) -> None:
        pass

    def draw(self, **kwargs: Any) -> Any:
        """The graph that computed this Value, as a graphviz picture (see viz.py)."""
        from .viz import draw_graph
        return draw_graph(self, **kwargs)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


_new = object.__new__


def _node(data: float, parents: tuple, op: str, deriv: Callable) -> Value:
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


def _lift(x: Any) -> Any:
    """A number beside a Value becomes a constant Value; anything else is not ours to handle."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return _node(float(x), (), "", None)
    return NotImplemented


def _real_pow(a: float, n: float) -> float:
    out = a ** n
    if type(out) is complex:
        raise ValueError(f"{a} ** {n} is not a real number (a negative base needs an integer "
                         "exponent)")
    return out


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
