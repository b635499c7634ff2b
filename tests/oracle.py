"""PyTorch's answers for the tests that compare with it: computed live where PyTorch is installed,
read from a recording where it is not.

A test asks through the `pytorch` fixture (tests/conftest.py):

    def test_norm_matches_pytorch(pytorch):
        theirs = pytorch("norm", lambda torch: {"value": torch.linalg.vector_norm(...).numpy()})

`compute(torch)` returns plain data: NumPy arrays, numbers, strings, bools, None, and lists,
tuples or dicts of them. With PyTorch importable it runs, and its answer is checked against the
recording (a recording that no longer matches live PyTorch is stale: `make fixtures` renews it).
Without PyTorch, the recorded answer is returned; a question with no recording fails, naming the
command that records it. So the comparison runs everywhere, and is never silently skipped.

The recordings are tests/fixtures/pytorch_oracle/<test module>.json, one entry per test and
question, written by `make fixtures` (which sets TINYGRAD_LA_RECORD=1 and runs the tests marked
`torch` with PyTorch installed). Floats are stored by repr, so float64 and float32 round-trip exactly.
"""
from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pytorch_oracle"
RECORDING = os.environ.get("TINYGRAD_LA_RECORD") == "1"


def torch_or_none() -> Any:
    """PyTorch, or None where it cannot be imported."""
    try:
        return importlib.import_module("torch")
    except Exception:   # ImportError, or a broken install raising something else
        return None


def encode(value: Any) -> Any:
    """Plain data as JSON-able data, arrays tagged with their dtype and shape."""
    if isinstance(value, np.generic):   # a NumPy scalar stays one (np.float32(0.1), np.True_)
        return {"__scalar__": encode(value.item()), "dtype": value.dtype.str}
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": repr(value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"an oracle answer must be plain data (arrays, numbers, strings, containers); got "
                    f"{type(value).__name__}: convert tensors with .detach().numpy() or .tolist()")


def decode(data: Any) -> Any:
    """The inverse of encode."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        if "__scalar__" in data:
            return np.dtype(data["dtype"]).type(decode(data["__scalar__"]))
        if "__array__" in data:
            return np.array(data["__array__"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
        if "__dict__" in data:
            return {decode(k): decode(v) for k, v in data["__dict__"]}
        if "__tuple__" in data:
            return tuple(decode(v) for v in data["__tuple__"])
        if "__float__" in data:
            return float(data["__float__"])
    return data


def same(a: Any, b: Any) -> bool:
    """Do two answers agree exactly (arrays by dtype, shape and value, nan equal to nan)?"""
    if isinstance(a, np.generic) or isinstance(b, np.generic):
        return type(a) is type(b) and same(np.asarray(a), np.asarray(b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


class Recordings:
    """The recorded answers of every test module, loaded on first use and written back when recording."""

    def __init__(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}
        self.changed: set[str] = set()

    def _file(self, module: str) -> dict[str, Any]:
        if module not in self.files:
            path = FIXTURES / f"{module}.json"
            self.files[module] = json.loads(path.read_text()) if path.exists() else {"torch_version": None, "answers": {}}
        return self.files[module]

    def ask(self, module: str, key: str, compute: Callable[[Any], Any]) -> Any:
        torch = torch_or_none()
        recorded = self._file(module)
        answers = recorded["answers"]
        if torch is None:
            if key not in answers:
                raise LookupError(f"no recorded PyTorch answer for {key} in tests/fixtures/pytorch_oracle/{module}.json, "
                                  "and PyTorch is not installed to compute it: run `make fixtures` (it installs "
                                  "PyTorch) to record it")
            return decode(answers[key])
        answer = compute(torch)
        encoded = encode(answer)   # checks that the answer is plain data, live or not
        if RECORDING:
            answers[key] = encoded
            recorded["torch_version"] = torch.__version__.split("+")[0]
            self.changed.add(module)
        elif key in answers and recorded["torch_version"] == torch.__version__.split("+")[0]:
            assert same(decode(answers[key]), decode(encoded)), (
                f"the recorded PyTorch answer for {key} differs from live PyTorch {torch.__version__}: "
                "the recording is stale; run `make fixtures`")
        return decode(encoded)

    def write(self) -> list[Path]:
        written = []
        for module in sorted(self.changed):
            path = FIXTURES / f"{module}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            data = self.files[module]
            data["answers"] = dict(sorted(data["answers"].items()))
            path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
            written.append(path)
        self.changed.clear()
        return written


recordings = Recordings()
