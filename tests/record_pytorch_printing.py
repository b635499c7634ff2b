"""Record how PyTorch prints the printing cases, so that tests/test_printing.py compares against its strings on
machines without PyTorch:  python tests/record_pytorch_printing.py  (rewrites tests/fixtures/pytorch_printing.json).

A case is a description (shape, dtype, kind of values, autograd state, print options, default dtype): the first
ones written by hand (EDGES: empties, 0-d, nothing finite, the profiles, ...), the rest drawn from their index
with Python's random.random, whose stream Python keeps stable. Its array is built with splitmix64 in NumPy's
wrapping uint64 arithmetic: no library's random generator, so every machine builds the same bytes (the fixture
keeps a fingerprint of them to make sure). Both libraries print with the case's default dtype (float64, as
tinygrad_la's, unless the case says float32, PyTorch's) and the default print options around the case's own;
PyTorch's "torch." is read as "tinygrad_la.". Recording twice writes the same bytes.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import random
from pathlib import Path
from typing import Any, Iterator

import numpy as np

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pytorch_printing.json"
CASES = 500

Case = dict[str, Any]

# shapes chosen by hand: 0-d, empties, the threshold (1000 elements) crossed in every rank, long rows; the
# tensors of just 1000 elements print whole and long, so they are drawn less often
SHAPES = [(), (1,), (5,), (25,), (100,), (1001,), (2000,), (3, 4), (7, 13), (40, 26), (2, 1000), (1000, 3),
          (1000, 1000), (0,), (0, 3), (3, 0), (2, 0, 4), (2, 3, 4), (10, 10, 11), (2, 2, 2, 2), (3, 4, 5, 20),
          (7, 7, 7, 3), (1, 1, 1, 1), (12, 100), (6, 7, 8), (1, 7, 1, 200)]
AT_THRESHOLD = [(1000,), (1, 1000), (40, 25), (10, 10, 10)]
DTYPES = (["float64"] * 8 + ["float32"] * 3 + ["float16"] + ["int64"] * 2 + ["int32", "int16", "int8", "uint8"]
          + ["bool"] * 2 + ["complex128", "complex64"])
KINDS = ["mixed"] * 4 + ["whole", "quarters", "zeros"]
EXPONENTS = [(0, 0), (-1, 1), (-3, 0), (-5, 2), (2, 5), (6, 9), (-12, -6), (-2, 12), (15, 30), (-3, 3), (0, 3)]
SPECIALS = [0.0] * 5 + [0.05, 0.3, 1.0]          # share of entries replaced by nan, ±inf, ±0
GRADS = ["none"] * 3 + ["requires_grad", "mul", "add", "parameter"]
OPTIONS: list[dict[str, Any]] = [{}] * 12 + [
    {"precision": 2}, {"precision": 6}, {"precision": 0}, {"threshold": 10}, {"threshold": 50, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0}, {"edgeitems": 5}, {"linewidth": 40}, {"linewidth": 120}, {"linewidth": 10},
    {"sci_mode": True}, {"sci_mode": False}, {"profile": "short"}, {"profile": "full"},
    {"profile": "short", "precision": 3, "linewidth": 60}]
DEFAULT_DTYPES = ["float64"] * 4 + ["float32"]   # float32: float64 tensors print dtype=, float32 ones do not


def _edge(name: str, shape: tuple[int, ...], dtype: str = "float64", *, kind: str = "mixed",
          exponents: tuple[int, int] = (-1, 1), specials: float = 0.0, grad: str = "none",
          options: dict[str, Any] | None = None, default_dtype: str = "float64") -> Case:
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:12], 16)   # its values' stream: fixed by its name
    return {"id": f"edge-{name}", "seed": seed, "shape": list(shape),
            "dtype": dtype, "kind": kind, "exponents": list(exponents), "specials": specials, "grad": grad,
            "options": options or {}, "default_dtype": default_dtype}


# the rules a draw may miss, one case each
EDGES: list[Case] = [
    _edge("empty", (0,)),                                                    # tensor([])
    _edge("empty-2d", (0, 3)),                                               # size=(0, 3)
    _edge("empty-3d-float32-grad", (2, 0, 4), "float32", grad="requires_grad"),
    _edge("empty-int64", (0,), "int64"),                                     # no elements: dtype= shown
    _edge("empty-bool", (3, 0), "bool"),
    _edge("empty-complex128", (0,), "complex128"),                           # not the default float: dtype=
    _edge("empty-float32-default", (0,), "float32", default_dtype="float32"),
    _edge("0d", ()),
    _edge("0d-grad", (), grad="requires_grad"),
    _edge("0d-mul", (), "float32", grad="mul"),
    _edge("0d-special", (), specials=1.0),                                   # nan, ±inf or ±0
    _edge("column-specials", (5, 1), specials=0.3),
    _edge("0d-bool", (), "bool"),
    _edge("0d-int", (), "int16"),
    _edge("0d-complex", (), "complex128", exponents=(-6, 6)),
    _edge("nothing-finite", (9,), specials=1.0),
    _edge("zeros", (4, 3), kind="zeros"),
    _edge("whole-sci", (7,), kind="whole", exponents=(0, 9)),                # integer mode, but scientific
    _edge("whole-sci-off", (7,), kind="whole", exponents=(0, 9), options={"sci_mode": False}),
    _edge("tiny", (6,), exponents=(-7, -5)),                                 # min < 1e-4
    _edge("huge", (6,), exponents=(8, 9)),                                   # max > 1e8
    _edge("float16-overflow", (8,), "float16", exponents=(3, 6)),            # 1e5 and up are inf in float16
    _edge("float32-default", (3, 4), "float32", default_dtype="float32"),
    _edge("float64-under-float32", (3, 4), default_dtype="float32"),
    _edge("complex64-under-float32", (3,), "complex64", default_dtype="float32"),
    _edge("complex-specials", (8,), "complex128", specials=0.3, exponents=(-5, 5)),
    _edge("complex-narrow", (5,), "complex64", options={"linewidth": 10}),
    _edge("parameter", (2, 3), grad="parameter"),
    _edge("parameter-float16", (3,), "float16", grad="parameter"),
    _edge("summary-edgeitems-0-1d", (2000,), options={"threshold": 5, "edgeitems": 0}),
    _edge("summary-edgeitems-0-3d", (4, 5, 6), options={"threshold": 5, "edgeitems": 0}),
    _edge("summary-1001", (1001,)),
    _edge("no-summary-1000", (10, 10, 10), kind="quarters"),
    _edge("threshold-0", (2, 3), options={"threshold": 0}),
    _edge("edgeitems-beyond-the-sides", (3, 4, 5), options={"threshold": 10, "edgeitems": 10}),
    _edge("profile-full", (1001,), kind="whole", exponents=(0, 3), options={"profile": "full"}),
    _edge("profile-short-4d", (3, 4, 5, 20), options={"profile": "short"}),
    _edge("precision-0-sci", (6,), exponents=(-5, 2), options={"precision": 0}),
    _edge("precision-10", (4,), options={"precision": 10}),
    _edge("sci-forced-grad", (12,), grad="mul", options={"sci_mode": True}),
    _edge("uint8", (9,), "uint8", exponents=(0, 2)),
    _edge("int64-wide", (5,), "int64", exponents=(0, 15)),
    _edge("int8-narrow-lines", (12,), "int8", exponents=(0, 2), options={"linewidth": 40}),
]


def _pick(draw: random.Random, options: list[Any]) -> Any:
    return options[int(draw.random() * len(options))]   # random.random only: its stream is stable across Pythons


def _shape(draw: random.Random) -> tuple[int, ...]:
    if draw.random() < 0.03:
        return tuple(_pick(draw, AT_THRESHOLD))
    if draw.random() < 0.5:
        return tuple(_pick(draw, SHAPES))
    ndim = _pick(draw, [0, 1, 2, 3, 4])
    sides = [1, 2, 3, 4, 6, 7, 9, 15] if ndim < 3 else [1, 2, 3, 4, 5, 7]   # keep the fixture's strings short
    shape = [_pick(draw, sides) for _ in range(ndim)]
    if 0 < ndim < 3 and draw.random() < 0.25:
        shape[_pick(draw, list(range(len(shape))))] = 200   # a long dimension, often past the threshold
    return tuple(shape)


def case(index: int) -> Case:
    """The description of case `index`: EDGES first, then drawn ones."""
    if index < len(EDGES):
        return EDGES[index]
    draw = random.Random(index)
    shape, dtype = _shape(draw), _pick(draw, DTYPES)
    options = dict(_pick(draw, OPTIONS))
    # the options that show more (all, or 5 at each end) only for small tensors, so the fixture stays small
    if (options.get("profile") == "full" or options.get("edgeitems", 0) > 3) and int(np.prod(shape)) > 400:
        options = {}
    return {"id": f"case-{index}", "seed": index, "shape": list(shape), "dtype": dtype, "kind": _pick(draw, KINDS),
            "exponents": list(_pick(draw, EXPONENTS)), "specials": _pick(draw, SPECIALS),
            "grad": _pick(draw, GRADS) if dtype.startswith("float") else "none", "options": options,
            "default_dtype": _pick(draw, DEFAULT_DTYPES)}


def _uniform(seed: int, stream: int, n: int) -> np.ndarray:
    """n numbers in [0, 1), splitmix64 of (seed, stream, i): the same bits on every machine."""
    state = (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64((seed * 1_000_003 + stream * 7919) % 2**64))
    z = (state ^ (state >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    uniform: np.ndarray = (z >> np.uint64(11)).astype(np.float64) * 2.0 ** -53   # exact: 53 bits times 2**-53
    return uniform


def _floats(c: Case, stream: int, n: int) -> np.ndarray:
    """Float64 values of the case's kind: mixed magnitudes 10^lo..10^hi, whole numbers, quarters or zeros."""
    signed = 2.0 * _uniform(c["seed"], stream, n) - 1.0
    lo, hi = c["exponents"]
    if c["kind"] == "zeros":
        return np.zeros(n)
    if c["kind"] == "whole":
        return np.round(signed * float(f"1e{hi}"))
    if c["kind"] == "quarters":
        return np.round(signed * 40.0) / 4.0
    powers = np.array([float(f"1e{k}") for k in range(lo, hi + 1)])   # parsed, so correctly rounded everywhere
    which = (_uniform(c["seed"], stream + 1, n) * len(powers)).astype(np.int64)
    mixed: np.ndarray = signed * powers[which]
    return mixed


def _with_specials(c: Case, stream: int, values: np.ndarray) -> np.ndarray:
    where = _uniform(c["seed"], stream, values.size) < c["specials"]
    which = (_uniform(c["seed"], stream + 1, values.size) * 5).astype(np.int64)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])[which]
    return np.where(where, special, values)


def array(c: Case) -> np.ndarray:
    """The case's values, of its shape and dtype."""
    shape, dtype = tuple(c["shape"]), np.dtype(str(c["dtype"]))
    n = int(np.prod(shape))
    if dtype.kind == "b":
        out = _uniform(c["seed"], 0, n) < 0.5
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        digits = min(c["exponents"][1], 15) if c["kind"] != "zeros" else 0
        values = np.floor((2.0 * _uniform(c["seed"], 0, n) - 1.0) * float(f"1e{max(digits, 0)}"))
        out = np.clip(np.abs(values) if dtype.kind == "u" else values, info.min, info.max).astype(dtype)
    else:
        real = _with_specials(c, 10, _floats(c, 0, n))
        values = real if dtype.kind != "c" else np.empty(n, np.complex128)
        if dtype.kind == "c":              # set apart: 1j * inf would be nan+infj, spoiling the real part
            values.real, values.imag = real, _with_specials(c, 20, _floats(c, 2, n))
        with np.errstate(over="ignore"):                  # 1e30 is inf in float16, as in PyTorch
            out = values.astype(dtype)
    return out.reshape(shape)


def fingerprint(values: np.ndarray) -> str:
    """A short hash of the case's bytes, dtype and shape."""
    key = f"{values.dtype.str}{values.shape}".encode() + np.ascontiguousarray(values).tobytes()
    return hashlib.sha256(key).hexdigest()[:16]


@contextlib.contextmanager
def printing_options(lib: Any, options: dict[str, Any]) -> Iterator[None]:
    """`lib`'s print options set for the block, its defaults after it."""
    lib.set_printoptions(**options)
    try:
        yield
    finally:
        lib.set_printoptions(profile="default")          # also puts back sci_mode=None


def render(c: Case, lib: Any) -> str:
    """repr of the case's tensor in `lib` (tinygrad_la or torch, whose "torch." reads as "tinygrad_la.")."""
    is_torch = lib.__name__ == "torch"
    previous = lib.get_default_dtype()
    lib.set_default_dtype(getattr(lib, c["default_dtype"]))
    try:
        with printing_options(lib, c["options"]):
            t = lib.tensor(array(c), requires_grad=c["grad"] not in ("none", "parameter"))
            if c["grad"] == "mul":
                t = t * 2
            elif c["grad"] == "add":
                t = t + 1
            elif c["grad"] == "parameter":
                t = lib.nn.Parameter(t)
            text = repr(t)
            if str(t) != text:
                raise AssertionError(f"{c['id']}: str and repr differ in {lib.__name__}")
    finally:
        lib.set_default_dtype(previous)
    return text.replace("torch.", "tinygrad_la.") if is_torch else text


def record(path: Path = FIXTURE) -> None:
    """Write PyTorch's strings for every case, one case a line (so a re-recording diffs case by case)."""
    import torch
    lib: Any = torch                                     # its set_printoptions has no annotations
    lib.set_printoptions(profile="default")              # whatever ran before in this process
    lines = []
    for index in range(CASES):
        c = case(index)
        entry = {"case": c, "fingerprint": fingerprint(array(c)), "text": render(c, torch)}
        lines.append(json.dumps(entry, sort_keys=True))
    header = json.dumps({"torch_version": torch.__version__})[:-1]
    path.write_text(header + ', "cases": [\n' + ",\n".join(lines) + "\n]}\n")
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB, {CASES} cases, torch {torch.__version__})")


def load(path: Path = FIXTURE) -> dict[str, Any]:
    """The fixture: {"torch_version": ..., "cases": [{"case", "fingerprint", "text"}, ...]}."""
    fixture: dict[str, Any] = json.loads(path.read_text())
    return fixture


if __name__ == "__main__":
    record()
