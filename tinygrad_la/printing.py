"""How a tensor prints: PyTorch's look (torch/_tensor_str.py), rebuilt over NumPy arrays.

    tensor([[ 1.0000e+00, -2.5000e-05],
            [ 3.0000e+02,  1.0000e+05]], dtype=tinygrad_la.float32, requires_grad=True)

One formatter serves every element shown, so all share one style and one width:
  integer mode   "2."           every finite float is whole
  fixed mode     "0.4200"       `precision` decimals
  scientific     "1.0000e+05"   largest/smallest nonzero |x| > 1000, or largest > 1e8, or smallest < 1e-4
(nan, inf and zeros print in the chosen style but are not looked at when choosing it). A tensor of more than
`threshold` elements is summarized: each dimension longer than 2·edgeitems shows its first and last
`edgeitems` entries around "...", and only the shown entries are formatted, so a big tensor prints fast.
Rows wrap at `linewidth`; the suffixes (dtype=, grad_fn=, requires_grad=) follow, each on a new line if it
would overflow the last one.

The options are PyTorch's and live where its do: tinygrad_la.set_printoptions at the top, get_printoptions and
the printoptions context manager only here (torch keeps them in torch._tensor_str).
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import Any, Iterator

import numpy as np

from .core import dtypes

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4          # decimals in fixed and scientific mode
    threshold: float = 1000     # more elements than this: summarize
    edgeitems: int = 3          # entries shown at each end of a summarized dimension
    linewidth: int = 80         # characters per line before a row wraps
    sci_mode: bool | None = None   # None: the formatter chooses


PRINT_OPTS = _PrintOptions()

# what a profile sets: all but sci_mode, which set_printoptions sets from its own argument
_PROFILES = {"default": _PrintOptions(),
             "short": _PrintOptions(precision=2, edgeitems=2),
             "full": _PrintOptions(threshold=math.inf)}
_PROFILE_FIELDS = ("precision", "threshold", "edgeitems", "linewidth")


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """PyTorch's torch.set_printoptions: a profile ("default", "short", "full") first, then the options given.

    As in PyTorch, `sci_mode` is always set: leaving it out puts back the automatic choice (None)."""
    _check_options(precision, threshold, edgeitems, linewidth, profile, sci_mode)
    if profile is not None:
        for name in _PROFILE_FIELDS:
            setattr(PRINT_OPTS, name, getattr(_PROFILES[profile], name))
    if precision is not None:
        PRINT_OPTS.precision = int(precision)
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = int(edgeitems)
    if linewidth is not None:
        PRINT_OPTS.linewidth = int(linewidth)
    PRINT_OPTS.sci_mode = None if sci_mode is None else bool(sci_mode)


def _check_options(precision: Any, threshold: Any, edgeitems: Any, linewidth: Any, profile: Any,
                   sci_mode: Any) -> None:
    """Raise before anything is set. PyTorch takes any value, failing (or printing nonsense) at the next print,
    and ignores an unknown profile."""
    if profile is not None and profile not in _PROFILES:
        raise ValueError(f"set_printoptions: unknown profile {profile!r}; use one of {', '.join(_PROFILES)}")
    for name, value in (("precision", precision), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"set_printoptions: {name} must be a non-negative int; got {value!r}")
    is_number = isinstance(threshold, (int, float, np.integer, np.floating)) and not isinstance(threshold, bool)
    if threshold is not None and not (is_number and threshold == threshold):     # threshold != itself: nan
        raise ValueError(f"set_printoptions: threshold must be a number of elements (math.inf for all); "
                         f"got {threshold!r}")
    if sci_mode not in (None, True, False):
        raise ValueError(f"set_printoptions: sci_mode must be True, False or None (choose); got {sci_mode!r}")


def get_printoptions() -> dict[str, Any]:
    """The current options, as keyword arguments set_printoptions takes back."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**options: Any) -> Iterator[None]:
    """``with printoptions(precision=2): ...``: the options for the block, the old ones after it."""
    old = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """One style and width for all the elements shown (PyTorch's _Formatter)."""

    def __init__(self, shown: np.ndarray) -> None:
        self.floating = shown.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        values = shown.reshape(-1)
        if not self.floating:                               # ints and bools: their own digits
            self.max_width = max([1] + [len(f"{v}") for v in values.tolist()])
            return
        finite = values[np.isfinite(values) & (values != 0)]   # nan, inf and zeros do not choose the style
        if finite.size == 0:
            return
        magnitude = np.abs(finite).astype(np.float64)       # in float64, as PyTorch: float16 overflows at 1e8
        low, high = magnitude.min(), magnitude.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):    # 1e308 / 1e-308 is inf, past 1000 as it should be: no warning
                self.sci_mode = bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{p}e}") for v in finite.tolist()]
        elif self.int_mode:
            widths = [len(f"{v:.0f}") + 1 for v in finite.tolist()]   # + 1 for the "." marking a float
        else:
            widths = [len(f"{v:.{p}f}") for v in finite.tolist()]
        self.max_width = max(widths)

    def format(self, value: Any) -> str:
        """One element, right-aligned to the common width."""
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


class _Formatters:
    """The formatter of a real tensor, or the pair (real part, imaginary part) of a complex one."""

    def __init__(self, shown: np.ndarray) -> None:
        self.complex = shown.dtype.kind == "c"
        self.real = _Formatter(shown.real if self.complex else shown)
        self.imag = _Formatter(shown.imag) if self.complex else None

    def width(self) -> int:
        """Characters of one element: a complex one is "a+bj"."""
        return self.real.max_width + (self.imag.max_width + 1 if self.imag is not None else 0)

    def format(self, value: Any) -> str:
        """One element; a complex one as real part, sign, imaginary part, "j" (``-0.5000+2.0000j``)."""
        if self.imag is None:
            return self.real.format(value)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return self.real.format(value.real) + ("" if imag[0] in "+-" else "+") + imag


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: the first and last edgeitems along every long dimension."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if e == 0:   # nothing but "..." is shown
        return a[:0] if a.ndim == 1 else np.empty((0,) * a.ndim, a.dtype)
    keep = [np.r_[0:e, n - e:n] if n > 2 * e else np.arange(n) for n in a.shape]
    shown: np.ndarray = a[np.ix_(*keep)]
    return shown


def _vector_str(a: np.ndarray, indent: int, summarize: bool, formatter: _Formatters) -> str:
    """A 1-D row, wrapped so each line holds as many ", "-separated elements as fit in linewidth."""
    per_line = max(1, (PRINT_OPTS.linewidth - indent) // (formatter.width() + 2))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        items = ([formatter.format(v) for v in a[:e].tolist()] + [" ..."]
                 + [formatter.format(v) for v in a[-e:].tolist()])
    else:
        items = [formatter.format(v) for v in a.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, formatter: _Formatters) -> str:
    """A d-D block: its (d-1)-D slices one below the other, d-2 blank lines between them."""
    if a.ndim == 0:
        return formatter.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, formatter)
    e = PRINT_OPTS.edgeitems
    n = a.shape[0]
    if summarize and n > 2 * e:
        slices = ([_nested_str(a[i], indent + 1, summarize, formatter) for i in range(e)] + ["..."]
                  + [_nested_str(a[i], indent + 1, summarize, formatter) for i in range(n - e, n)])
    else:
        slices = [_nested_str(a[i], indent + 1, summarize, formatter) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """", dtype=..., requires_grad=True)": a suffix that would pass linewidth starts a new line."""
    parts = [text]
    # PyTorch's count: with no newline this is len(text) + 2, which we keep so lines break where its do
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # measured with PyTorch's dtype names ("torch." is 6 characters shorter than "tinygrad_la."), so a
        # printout breaks where PyTorch's does and matches it line for line once the names are swapped
        width = len(suffix.replace(_OURS, _THEIRS))
        if last_line + width + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + width
        else:
            parts.append(", " + suffix)
            last_line += width + 2
    return "".join(parts) + ")"


_OURS, _THEIRS = "tinygrad_la.", "torch."


def _contents(array: np.ndarray, indent: int) -> tuple[str, list[str]]:
    """The elements as PyTorch lays them out, and the suffixes the data needs (size=, dtype=)."""
    default = dtypes.default_float()
    suffixes = []
    if array.size == 0:
        if array.ndim != 1:                 # as NumPy, the shape is shown unless it is (0,)
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != default:          # no elements to tell an int64 tensor from a float one
            suffixes.append(f"dtype={dtypes.public(array.dtype)!r}")
        return "[]", suffixes
    summarize = array.size > PRINT_OPTS.threshold
    formatter = _Formatters(_summarized(array) if summarize else array)
    body = _nested_str(array, indent, summarize, formatter)
    if not PRINT_OPTS.edgeitems:            # "[...]" alone says nothing of the shape
        suffixes.append(f"size={tuple(array.shape)}")
    # the dtypes a tensor gets from Python numbers need no dtype= (PyTorch: the default float and its complex)
    default_complex = np.dtype(np.complex128 if default == np.float64 else np.complex64)
    if array.dtype not in (default, default_complex, np.dtype(np.int64), np.dtype(np.bool_)):
        suffixes.append(f"dtype={dtypes.public(array.dtype)!r}")
    return body, suffixes


# PyTorch prints torch.Tensor and torch.nn.Parameter as "tensor(...)"; they are told apart by module and name
# because this module sits below both (tensor.py and nn/module.py import it, not the other way round)
_TENSOR, _PARAMETER = ("tinygrad_la.tensor", "Tensor"), ("tinygrad_la.nn.module", "Parameter")


def _is(cls: type, key: tuple[str, str]) -> bool:
    return (cls.__module__, cls.__qualname__) == key


def tensor_repr(array: np.ndarray, *, cls: type, grad_fn: str | None = None, requires_grad: bool = False) -> str:
    """PyTorch's repr of a `cls` tensor holding `array`: ``tensor([1., 2.], grad_fn=<MulBackward0>)``.

    A subclass shows its own name, ``Scaled([1., 2.])``, and a subclass of Parameter is wrapped once more,
    ``Parameter(Scaled(...))``, as in PyTorch (Parameter's __repr__ then puts "Parameter containing:" above)."""
    plain = _is(cls, _TENSOR) or _is(cls, _PARAMETER)
    prefix = "tensor(" if plain else f"{cls.__name__}("
    body, suffixes = _contents(array, len(prefix))
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    text = _add_suffixes(prefix + body, suffixes, len(prefix))
    if not plain and any(_is(base, _PARAMETER) for base in cls.__mro__):
        text = f"Parameter({text})"
    return text
