"""Elementwise ops: arithmetic (chapter 23.1: z = w·x + b is made of these), e^x, log, σ, ReLU, ...

Each op is one small Function, forward and backward side by side, and below them the Tensor
methods that call them (`ElementwiseMethods`, which Tensor inherits).

Notation, the same in every file of ops/: `g` is d(loss)/d(output), the gradient arriving from
above (the chapter's dZ, dY); each backward returns d(loss)/d(input) for every input. Broadcasting
is undone for all ops in one place (core/function.py's unbroadcast), so a formula here is written
as if shapes already matched. Formulas use operators and methods that NumPy arrays and Tensors
share, so under ``create_graph=True`` the same line records itself and can be differentiated again.
"""
from __future__ import annotations

import builtins
import math
import numbers
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..core.engine import _mode
from ..core.function import Op
from ..core.tensor_base import _NUMBERS, TensorBase, _operand

if TYPE_CHECKING:   # typing.Self is Python 3.11's (typing_extensions has it for 3.10); never needed at runtime
    from typing_extensions import Self

__all__ = ["ElementwiseMethods", "where", "sigmoid_pair"]


# --- arithmetic -----------------------------------------------------------------------------------

# An operand of arithmetic reaches forward as the array inside a Tensor or as the Python number
# given (x + 2 passes the 2 itself, see _operands), so its type is Any; NumPy's operators take both.

class Add(Op):
    """x + y;  dx = g,  dy = g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        return x + y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g, g


class Sub(Op):
    """x - y;  dx = g,  dy = -g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        return x - y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Rsub(Sub):
    """c - x for a number c: the same op, which PyTorch records as RsubBackward1 over x alone"""
    __slots__ = ()
    node_name = "RsubBackward1"
    graph_inputs = slice(1, 2)


class Mul(Op):
    """x * y;  dx = g·y,  dy = g·x"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        dx_needed, dy_needed = ctx.needs_input_grad   # keep only what backward reads: x for dy, y for dx
        ctx.save_for_backward(x if dy_needed else None, y if dx_needed else None)
        return x * y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        return (g * y if dx_needed else None), (g * x if dy_needed else None)


class Div(Op):
    """x / y;  dx = g / y,  dy = -g·x / y²"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)   # x only for dy
        return x / y

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        return (g / y if dx_needed else None), (-g * x / (y * y) if dy_needed else None)


class RoundedDiv(Op):
    """x / y rounded toward -inf ("floor") or 0 ("trunc");  dx = dy = 0 (a step function, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any, mode: str) -> np.ndarray:
        if mode == "floor":
            return np.floor_divide(x, y)
        quotient = np.trunc(np.true_divide(x, y))
        return quotient.astype(np.result_type(x, y)) if _is_integer(x) and _is_integer(y) else quotient

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        zero = np.zeros(g.shape, g.dtype)
        return zero, zero, None


class Remainder(Op):
    """x mod y = x - y·floor(x / y) (the sign of y, as Python and PyTorch);  dx = g,  dy = -g·floor(x / y)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        ctx.save_for_backward(np.floor_divide(x, y))
        return np.mod(x, y)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        quotient, = ctx.saved_tensors
        return g, (-g * quotient if ctx.needs_input_grad[1] else None)


class Pow(Op):
    """x ** y;  dx = g·y·x^(y-1), 0 where y = 0;  dy = g·x^y·log x, 0 where x = 0 and y >= 0

    The zeros are PyTorch's: x^0 is the constant 1 (so d/dx 0^0 is 0, not 0·0^-1 = nan), and
    0^y is the constant 0 for y > 0 (d/dy 0^y is 0, not 0·log 0 = nan).
    """
    __slots__ = ()
    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        out = _integer_power(x, y) if _is_integer(x) and _is_integer(y) else np.power(x, y)
        if out.dtype.kind == "f" and (type(x) is not np.ndarray or x.dtype.kind != "f"):
            x = np.asarray(x, dtype=out.dtype)   # log x in backward then stays in the result's dtype
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, y, out = ctx.saved_tensors
        dx_needed, dy_needed = ctx.needs_input_grad
        dx = dy = None
        with np.errstate(divide="ignore", invalid="ignore"):   # the masked entries may be inf or nan
            if dx_needed:
                if isinstance(y, (int, float)):
                    dx = np.zeros(out.shape, out.dtype) if y == 0 else g * (y * x ** (y - 1))
                else:
                    dx = _select(_data(y) == 0, 0, g * (y * x ** (y - 1)))
            if dy_needed:
                constant = np.logical_and(_data(x) == 0, _data(y) >= 0)
                dy = g * _select(constant, 0, out * np.log(x))
        return dx, dy


class PowByNumber(Pow):
    """x ** c for a number c: PyTorch's PowBackward0, over x alone"""
    __slots__ = ()
    node_name = "PowBackward0"
    graph_inputs = slice(0, 1)


class NumberToPow(Pow):
    """c ** x for a number c: PyTorch's PowBackward2, over x alone"""
    __slots__ = ()
    node_name = "PowBackward2"
    graph_inputs = slice(1, 2)


def _is_integer(v: Any) -> bool:
    """An integer or bool tensor (array) or Python number."""
    return v.dtype.kind in "iub" if isinstance(v, np.ndarray) else isinstance(v, int)


def _integer_power(x: Any, y: Any) -> np.ndarray:
    """x ** y for integers, as PyTorch: a negative Python exponent raises; a negative entry of an
    exponent tensor gives 1/x^|y| truncated to an integer (0, except for x = 1 and x = -1)."""
    negative = np.less(y, 0)
    if not negative.any():
        return np.power(x, y)
    if not isinstance(y, np.ndarray):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    whole = np.power(x, np.where(negative, 0, y))
    unit = np.where(np.equal(x, -1), np.where(y % 2 == 0, 1, -1), np.equal(x, 1))
    return np.where(negative, unit, whole).astype(whole.dtype, copy=False)


def _data(v: Any) -> Any:
    """The array inside a Tensor (under create_graph), for masks that take no gradient."""
    return v._array if isinstance(v, TensorBase) else v


def _select(condition: Any, a: Any, b: Any) -> Any:
    """np.where, recorded (so differentiable again) when a branch is a Tensor under create_graph."""
    if isinstance(a, TensorBase) or isinstance(b, TensorBase):
        return Where.apply(condition, a, b)
    return np.where(condition, a, b)


class Neg(Op):
    """-x;  dx = -g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return -g


class Maximum(Op):
    """max(x, y) elementwise;  dx = g where x wins, g/2 on a tie, 0 where x loses;  dy likewise
    (an input's share of g is 1 where it does not lose, less 1/2 on a tie, in the output's dtype)

    As PyTorch, nan wins: it propagates to the output and each input that is nan gets all of g
    (as does the other input, since it does not lose: x < nan is false).
    """
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        out = np.maximum(x, y)
        half_on_ties = (x == y) * np.array(0.5, out.dtype)
        ctx.save_for_backward(~(x < y) - half_on_ties, ~(x > y) - half_on_ties)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x_share, y_share = ctx.saved_tensors
        return g * x_share, g * y_share


class Minimum(Op):
    """min(x, y) elementwise;  dx = g where x wins (is smaller), g/2 on a tie, 0 where x loses (nan wins)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> np.ndarray:
        out = np.minimum(x, y)
        half_on_ties = (x == y) * np.array(0.5, out.dtype)
        ctx.save_for_backward(~(x > y) - half_on_ties, ~(x < y) - half_on_ties)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x_share, y_share = ctx.saved_tensors
        return g * x_share, g * y_share


class Where(Op):
    """cond ? x : y;  dx = g where cond,  dy = g elsewhere"""
    __slots__ = ()
    graph_inputs = slice(1, 3)   # the condition is a parameter (it has no gradient)

    @staticmethod
    def forward(ctx: Any, cond: Any, x: Any, y: Any) -> np.ndarray:
        cond = np.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return np.where(cond, x, y)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        cond, = ctx.saved_tensors
        return None, g * cond, g * ~cond


# --- elementwise functions ------------------------------------------------------------------------

# Functions of reals say `float_inputs = True`: an integer or bool input is computed in the default
# float dtype, as PyTorch does (NumPy would pick float16 for bool, float64 for integers whatever the default).

class Exp(Op):
    """e^x;  dx = g·e^x"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, = ctx.saved_tensors
        return g * out


class Log(Op):
    """log x;  dx = g / x"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return g / x


class Log1p(Op):
    """log(1 + x), exact for small x;  dx = g / (1 + x)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return g / (1 + x)


class Expm1(Op):
    """e^x - 1, exact for small x;  dx = g·e^x = g·(out + 1)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, = ctx.saved_tensors
        return g * (out + 1)


class Log2(Op):
    """log₂ x;  dx = g / (x ln 2)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return g / (x * math.log(2.0))


class Log10(Op):
    """log₁₀ x;  dx = g / (x ln 10)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return g / (x * math.log(10.0))


class Sin(Op):
    """sin x;  dx = g·cos x"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return g * np.cos(x)


class Cos(Op):
    """cos x;  dx = -g·sin x"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        x, = ctx.saved_tensors
        return -g * np.sin(x)


class Tanh(Op):
    """tanh x;  dx = g·(1 - tanh²x)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Op):
    """σ(x) = 1 / (1 + e^-x);  dx = g·σ(x)·(1 - σ(x)) = g·σ(x)·σ(-x)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out, out_of_neg = sigmoid_pair(x)
        ctx.save_for_backward(out, out_of_neg)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, out_of_neg = ctx.saved_tensors
        if isinstance(out, ElementwiseMethods):   # a Tensor (create_graph): σ(-x) must be a function of x as well
            out_of_neg = 1 - out
        return g * out * out_of_neg


class ReLU(Op):
    """max(0, x);  dx = g where max(0, x) > 0, else 0  (nan in, nan out, and g passes, as PyTorch)"""
    __slots__ = ()
    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.maximum(x, 0)
        ctx.save_for_backward(out != 0)   # max(0, x) > 0, or nan
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        active, = ctx.saved_tensors
        return g * active


class Abs(Op):
    """|x|;  dx = g·sign(x)  (0 at x = 0 and at nan, as PyTorch)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(_sign(x))
        return np.abs(x)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        sign, = ctx.saved_tensors
        return g * sign


class Sqrt(Op):
    """√x;  dx = g / (2√x)"""
    __slots__ = ()
    float_inputs = True

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        out, = ctx.saved_tensors
        return g / (2 * out)


class Clamp(Op):
    """min(max(x, lo), hi);  dx = g where lo <= x <= hi;  dlo = g where x < lo < hi;  dhi = g where
    x > hi, or hi < lo (then the output is hi)  (PyTorch's rule, ties going to x)"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        out = np.clip(x, lo, hi)
        inside = np.logical_and(True if lo is None else x >= lo, True if hi is None else x <= hi)
        _, lo_needed, hi_needed = ctx.needs_input_grad
        to_lo = to_hi = None
        if lo_needed:
            to_lo = x < lo if hi is None else np.logical_and(x < lo, lo < hi)
        if hi_needed:
            to_hi = x > hi if lo is None else np.logical_or(x > hi, hi < lo)
        ctx.save_for_backward(inside, to_lo, to_hi)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        inside, to_lo, to_hi = ctx.saved_tensors
        return (g * inside if ctx.needs_input_grad[0] else None,
                None if to_lo is None else g * to_lo, None if to_hi is None else g * to_hi)


class ClampByNumbers(Clamp):
    """x.clamp(lo, hi) with numbers for bounds: PyTorch's ClampBackward1, over x alone"""
    __slots__ = ()
    node_name = "ClampBackward1"
    graph_inputs = slice(0, 1)


class Cast(Op):
    """x.astype(dtype);  dx = g cast back to x's dtype"""
    __slots__ = ("in_dtype",)
    integer_outputs = True   # x.long(): an integer result, which never requires grad

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        if ctx.in_dtype.kind != "f":
            return None
        return g.to(ctx.in_dtype) if isinstance(g, TensorBase) else np.asarray(g).astype(ctx.in_dtype)


class Clone(Op):
    """a copy of x;  dx = g"""
    __slots__ = ()

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        return g


def where(condition: Any, input: Any, other: Any) -> Any:  # noqa: A002  (PyTorch's names)
    """input where condition holds, else other (all three broadcast together, input and other
    promoted as by input + other)."""
    return Where.apply(condition, *_operands(input, other))


def _sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 in x's dtype; 0 for nan, as PyTorch (NumPy's sign gives nan)."""
    if x.dtype.kind == "b":
        return x.copy()
    return np.subtract(x > 0, x < 0, dtype=x.dtype)


def sigmoid_pair(x: Any) -> tuple[Any, Any]:
    """σ(x) and σ(-x), for a float or an array, without overflow; the one sigmoid of the library.

    With e = e^-|x| (never overflows), σ(x) and σ(-x) are 1/(1+e) and e/(1+e) in the order of x's
    sign. Keeping σ(-x) itself, not 1 - σ(x), keeps the slope σ(x)σ(-x) exact far out: at x = 80 in
    float32, σ(x) rounds to 1 but σ(-x) = 1.8e-35 is still there.
    """
    scalar = isinstance(x, float)
    e = math.exp(-abs(x)) if scalar else np.exp(-np.abs(x))
    near = 1 / (1 + e)
    far = e * near
    if scalar:
        return (near, far) if x >= 0 else (far, near)
    positive = x >= 0
    return np.where(positive, near, far), np.where(positive, far, near)


# --- the Tensor methods ---------------------------------------------------------------------------

class ElementwiseMethods(TensorBase):
    """Tensor's operators and elementwise functions (Tensor inherits them; see tensor.py)."""

    __slots__ = ()

    # --- arithmetic (chapter 23.1: z = w·x + b is made of these) -------------------------------

    def __add__(self, other: Any) -> Self:
        """x + y elementwise (broadcasting, PyTorch's type promotion);  dx = g, dy = g."""
        if type(other) in _NUMBERS or _same_kind(self, other):
            return Add.apply(self, other)   # nothing to promote
        return Add.apply(*_operands(self, other))

    def __radd__(self, other: Any) -> Self:
        """y + x, for a number or array on the left."""
        if type(other) in _NUMBERS or _same_kind(self, other):
            return Add.apply(self, other)   # nothing to promote
        return Add.apply(*_operands(self, other))   # x + y: the same sum, the tensor first as in PyTorch's graph

    def __sub__(self, other: Any) -> Self:
        """x - y elementwise;  dx = g, dy = -g."""
        if type(other) in _NUMBERS or _same_kind(self, other):
            return Sub.apply(self, other)   # nothing to promote
        return Sub.apply(*_operands(self, other))

    def __rsub__(self, other: Any) -> Self:
        """y - x, for a number or array on the left."""
        return (Rsub if type(other) in _NUMBERS else Sub).apply(*_operands(other, self))

    def __mul__(self, other: Any) -> Self:
        """x * y elementwise (the Hadamard product ⊙);  dx = g·y, dy = g·x."""
        if type(other) in _NUMBERS or _same_kind(self, other):
            return Mul.apply(self, other)   # nothing to promote
        return Mul.apply(*_operands(self, other))

    def __rmul__(self, other: Any) -> Self:
        """y * x, for a number or array on the left."""
        if type(other) in _NUMBERS or _same_kind(self, other):
            return Mul.apply(self, other)   # nothing to promote
        return Mul.apply(*_operands(self, other))   # x * y: the same product, the tensor first as in PyTorch's graph

    def __truediv__(self, other: Any) -> Self:
        """x / y elementwise (true division: integers give floats);  dx = g/y, dy = -g·x/y²."""
        if type(other) in _NUMBERS or _same_kind(self, other):
            return Div.apply(self, other)   # nothing to promote
        return Div.apply(*_operands(self, other))

    def __rtruediv__(self, other: Any) -> Self:
        """y / x, for a number or array on the left."""
        return Div.apply(*_operands(other, self))

    def __pow__(self, other: Any) -> Self:
        """x ** y elementwise;  dx = g·y·x^(y-1), dy = g·x^y·log x."""
        return (PowByNumber if type(other) in _NUMBERS else Pow).apply(*_operands(self, other))

    def __rpow__(self, other: Any) -> Self:
        """y ** x, for a number or array as the base."""
        return (NumberToPow if type(other) in _NUMBERS else Pow).apply(*_operands(other, self))

    def __neg__(self) -> Self:
        """-x;  dx = -g."""
        return Neg.apply(self)

    def __pos__(self) -> Self:
        """+x: the tensor itself."""
        return self

    def __abs__(self) -> Self:
        """|x| elementwise (``abs(t)``);  dx = g·sign(x)."""
        return Abs.apply(self)

    def __floordiv__(self, other: Any) -> Self:
        """⌊x / y⌋ elementwise (``//``); no gradient, as a step function."""
        return _constant(np.floor_divide, self, other)

    def __mod__(self, other: Any) -> Self:
        """x mod y with the sign of y (Python's and PyTorch's ``%``);  dx = g."""
        return Remainder.apply(*_operands(self, other))

    def __rmod__(self, other: Any) -> Self:
        """y mod x, for a number or array on the left."""
        return Remainder.apply(*_operands(other, self))

    # comparisons give bool tensors that never require grad
    def __eq__(self, other: Any) -> Self:  # type: ignore[override]  # elementwise: a bool tensor, as PyTorch
        """x == y elementwise: a bool tensor (PyTorch's ``eq``), never requiring grad."""
        if not _comparable(other):   # e.g. pytest.approx: let the other side decide, as PyTorch
            return NotImplemented
        return _constant(np.equal, self, other)

    def __ne__(self, other: Any) -> Self:  # type: ignore[override]  # elementwise: a bool tensor, as PyTorch
        """x != y elementwise: a bool tensor."""
        if not _comparable(other):
            return NotImplemented
        return _constant(np.not_equal, self, other)

    def __lt__(self, other: Any) -> Self:
        """x < y elementwise: a bool tensor."""
        return _constant(np.less, self, other)

    def __le__(self, other: Any) -> Self:
        """x <= y elementwise: a bool tensor."""
        return _constant(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Self:
        """x > y elementwise: a bool tensor."""
        return _constant(np.greater, self, other)

    def __ge__(self, other: Any) -> Self:
        """x >= y elementwise: a bool tensor."""
        return _constant(np.greater_equal, self, other)

    def __and__(self, other: Any) -> Self:
        """x & y: logical and for bool tensors, bitwise and for integers; no gradient."""
        return _constant(np.logical_and if self.dtype == np.bool_ else np.bitwise_and, self, other)

    def __or__(self, other: Any) -> Self:
        """x | y: logical or for bool tensors, bitwise or for integers; no gradient."""
        return _constant(np.logical_or if self.dtype == np.bool_ else np.bitwise_or, self, other)

    def __invert__(self) -> Self:
        """~x: logical not for bool tensors, bitwise not for integers; no gradient."""
        return _constant(np.logical_not if self.dtype == np.bool_ else np.invert, self)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__   # PyTorch's method names

    def equal(self, other: Any) -> builtins.bool:
        """True when other has x's shape and x's values (PyTorch's torch.equal: nan equals nothing)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"equal(): argument 'other' must be Tensor, not {type(other).__name__}")
        return self._array.shape == other._array.shape and builtins.bool(np.array_equal(self._array, other._array))
    __hash__ = TensorBase.__hash__   # defining == would otherwise make tensors unhashable

    def add(self, other: Any, *, alpha: Any = 1) -> Self:
        """x + alpha·other (PyTorch's ``add(other, alpha=)``)."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Self:
        """x - alpha·other (PyTorch's ``sub(other, alpha=)``)."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Self:
        """x * other elementwise."""
        return self * other

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Self:
        """x / y; with rounding_mode "floor" or "trunc" the quotient rounded (gradient 0)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"{rounding_mode!r}")
        return RoundedDiv.apply(*_operands(self, other), rounding_mode)

    def remainder(self, other: Any) -> Self:
        """x mod other with the sign of other (``%``)."""
        return self % other

    def pow(self, exponent: Any) -> Self:
        """x ** exponent elementwise;  dx = g·n·xⁿ⁻¹ for a number exponent n."""
        return self ** exponent

    def neg(self) -> Self:
        """-x."""
        return -self
    # --- elementwise functions -----------------------------------------------------------------

    def exp(self) -> Self:
        """eˣ elementwise;  d(eˣ)/dx = eˣ."""
        return Exp.apply(self)

    def log(self) -> Self:
        """log x (natural) elementwise;  d(log x)/dx = 1/x."""
        return Log.apply(self)

    def log1p(self) -> Self:
        """log(1 + x) elementwise, exact for small x;  d/dx = 1/(1 + x)."""
        return Log1p.apply(self)

    def expm1(self) -> Self:
        """eˣ - 1 elementwise, exact for small x;  d/dx = eˣ."""
        return Expm1.apply(self)

    def log2(self) -> Self:
        """log₂ x elementwise;  d/dx = 1/(x ln 2)."""
        return Log2.apply(self)

    def log10(self) -> Self:
        """log₁₀ x elementwise;  d/dx = 1/(x ln 10)."""
        return Log10.apply(self)

    def sin(self) -> Self:
        """sin x elementwise;  d(sin x)/dx = cos x."""
        return Sin.apply(self)

    def cos(self) -> Self:
        """cos x elementwise;  d(cos x)/dx = -sin x."""
        return Cos.apply(self)

    def tanh(self) -> Self:
        """tanh x elementwise;  d(tanh x)/dx = 1 - tanh²x."""
        return Tanh.apply(self)

    def sigmoid(self) -> Self:
        """σ(x) = 1 / (1 + e⁻ˣ) elementwise, without overflow;  dσ/dx = σ(x)σ(-x)."""
        return Sigmoid.apply(self)

    def relu(self) -> Self:
        """ReLU(x) = max(0, x) elementwise (23.2);  dx = g where x > 0, else 0."""
        return ReLU.apply(self)

    def abs(self) -> Self:
        """|x| elementwise;  d|x|/dx = sign(x) (0 at x = 0, as PyTorch)."""
        return Abs.apply(self)

    def sqrt(self) -> Self:
        """√x elementwise;  d√x/dx = 1 / (2√x)."""
        return Sqrt.apply(self)

    def square(self) -> Self:
        """x² elementwise (x * x);  dx = 2x·g."""
        return self * self

    def sign(self) -> Self:
        """-1, 0 or 1 by the sign of each entry (0 for nan); no gradient."""
        return _constant(_sign, self)

    def clamp(self, min: Any = None, max: Any = None) -> Self:
        """Limit values to [min, max] (numbers or tensors that broadcast); the gradient passes to x
        where min <= x <= max, and to a tensor bound where the output is that bound."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of min and max must not be None")
        if min is not None:
            min = _operands(self, min)[1]
        if max is not None:
            max = _operands(self, max)[1]
        bounds_are_numbers = not (isinstance(min, TensorBase) or isinstance(max, TensorBase))
        return (ClampByNumbers if bounds_are_numbers else Clamp).apply(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Self:
        """max(x, other) elementwise (nan wins);  g goes to the larger, split in half on a tie."""
        return Maximum.apply(*_operands(self, other))

    def minimum(self, other: Any) -> Self:
        """min(x, other) elementwise (nan wins);  g goes to the smaller, split in half on a tie."""
        return Minimum.apply(*_operands(self, other))

    def where(self, condition: Any, other: Any) -> Self:
        """PyTorch's ``x.where(cond, y)``: x where cond holds, else y."""
        return where(condition, self, other)


# --- helpers ---------------------------------------------------------------------------------------

def _same_kind(a: TensorBase, b: Any) -> builtins.bool:
    """Is `b` a tensor of `a`'s dtype (the common case, where _operands has nothing to do)?"""
    return isinstance(b, TensorBase) and b._array.dtype is a._array.dtype


def _operands(a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's type promotion where it differs from NumPy's: a NumPy scalar (or 0-d array) acts
    like a Python number, so it does not turn a float32 tensor into float64; and an integer or
    bool tensor meeting a float tensor takes the float tensor's dtype."""
    if isinstance(a, TensorBase):
        if isinstance(b, TensorBase):
            if a._array.dtype is b._array.dtype:
                return a, b
            ka, kb = a._array.dtype.kind, b._array.dtype.kind
            if ka != kb and "f" in (ka, kb) and ka != "c" and kb != "c":
                if ka == "f":
                    b = Cast.apply(b, a._array.dtype)
                else:
                    a = Cast.apply(a, b._array.dtype)
            return a, b
    elif type(a) not in _NUMBERS:
        a = _operand(a)
    if type(b) not in _NUMBERS and not isinstance(b, TensorBase):
        b = _operand(b)
    return a, b


def _comparable(other: Any) -> builtins.bool:
    """Does == compare with `other` elementwise? Other objects get Python's answer (identity), as in
    PyTorch; a Value still raises, saying what to do instead."""
    return (isinstance(other, (TensorBase, np.ndarray, np.generic, list, tuple, numbers.Number))
            or hasattr(other, "_mixed_with_tensor"))


def _constant(fn: Callable[..., Any], *args: Any) -> Any:
    """A result with no gradient (comparisons, sign, floor division)."""
    arrays = [a._array if isinstance(a, TensorBase) else a if type(a) in _NUMBERS else _operand(a) for a in args]
    result = TensorBase._make(np.asarray(fn(*arrays)), None)
    if _mode.tracer is not None:
        _mode.tracer.constant(fn, args, result)
    return result


