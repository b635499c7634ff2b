"""Teaching programs run unchanged under PyTorch and under tinygrad_la.

Each file in this folder is a plain PyTorch script in the style of the tutorials and of the lecture
series it imitates: it starts with ``import torch`` and never names tinygrad_la. `run` executes its
text as it is, once with the real ``torch`` and once with ``torch`` resolving to ``tinygrad_la``
(an import hook maps ``torch`` and every ``torch.<sub>`` to ``tinygrad_la`` and ``tinygrad_la.<sub>``
while the script runs), so the claim under test is the project's: a PyTorch program runs by
changing its import and nothing else.

A script reports through three names the runner puts in its globals:

    record(key, value)       a number, tensor, list, string...: compared across the libraries
    record_draw(key, value)  something drawn from a seeded random stream (sampled names): the two
                             libraries draw different streams, so it is not compared across them,
                             only checked to repeat under the same seed
    print(...)               every line is kept; the numbers (and True/False/None) parsed from each
                             line are compared, not the text, since tensor reprs are not ours to pin

Both libraries draw different random numbers, so the scripts take their starting weights and their
minibatch indices from NumPy (``np.random.default_rng``), which is the same in both runs. They run
in float64 (``torch.set_default_dtype(torch.float64)`` at the top, undone by the runner); where a
lecture writes ``.float()`` and the result stays float32, that value is compared at float32's
precision (see `compare`).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import io
import math
import re
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Sequence

import numpy as np

FOLDER = Path(__file__).resolve().parent
PROGRAMS = (
    "micrograd_check",
    "sgd_by_hand",
    "bigram",
    "mlp_language_model",
    "layernorm_and_manual_batchnorm",
    "backprop_ninja",
    "torchified_wavenet",
    "cnn",
    "batchnorm_adam",
    "blitz_autograd",
    "tensors_basics",
    "learn_the_basics",
)

# float64 results must agree to this; float32 ones (a lecture's .float()) to float32's precision
RTOL = {"float64": 1e-9, "float32": 1e-6}
ATOL = {"float64": 1e-12, "float32": 1e-7}


def source(name: str) -> str:
    return (FOLDER / f"{name}.py").read_text(encoding="utf-8")


def fingerprint(name: str) -> str:
    """The script's text, hashed: recorded answers belong to one version of it."""
    return hashlib.sha256(source(name).encode()).hexdigest()


# --- `import torch` as `import tinygrad_la` ------------------------------------------------------

class _TorchIsTinygradLa(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.<sub>`` as the already importable ``tinygrad_la(.<sub>)``."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        module = importlib.import_module("tinygrad_la" + fullname[len("torch"):])
        return importlib.machinery.ModuleSpec(fullname, self, is_package=hasattr(module, "__path__"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module("tinygrad_la" + spec.name[len("torch"):])

    def exec_module(self, module: ModuleType) -> None:
        pass   # the module is tinygrad_la's own, imported already


@contextlib.contextmanager
def torch_is_tinygrad_la() -> Iterator[None]:
    """While inside, ``import torch.nn.functional as F`` gives tinygrad_la.nn.functional; after, the
    real torch (if it was imported) is back in sys.modules as it was."""
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name == "torch" or name.startswith("torch.")}
    finder = _TorchIsTinygradLa()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if name == "torch" or name.startswith("torch.")]:
            del sys.modules[name]
        sys.modules.update(saved)


# --- running a script -----------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A recorded value as JSON data; a tensor of either library becomes {dtype, shape, values}."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = np.asarray(value.detach().numpy())
    if isinstance(value, np.ndarray):
        return {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.tolist()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    raise TypeError(f"record() takes numbers, strings, tensors and lists or dicts of them; got {type(value).__name__}")


def run(name: str, library: str) -> dict[str, Any]:
    """Execute tests/teaching/<name>.py with ``torch`` being `library` ("torch" or "tinygrad_la"), in a
    fresh temporary folder; return what it recorded, drew and printed, and the error it raised."""
    results: dict[str, Any] = {}
    draws: dict[str, Any] = {}

    def record(key: str, value: Any) -> None:
        assert key not in results, f"{name}: record({key!r}) twice"
        results[key] = plain(value)

    def record_draw(key: str, value: Any) -> None:
        assert key not in draws, f"{name}: record_draw({key!r}) twice"
        draws[key] = plain(value)

    path = FOLDER / f"{name}.py"
    code = compile(source(name), str(path), "exec")
    namespace = {"__name__": "__main__", "__file__": str(path), "record": record, "record_draw": record_draw}
    stdout = io.StringIO()
    error = None
    aliasing = torch_is_tinygrad_la() if library == "tinygrad_la" else contextlib.nullcontext()
    engine = importlib.import_module(library)
    dtype, grad_enabled = engine.get_default_dtype(), engine.is_grad_enabled()
    # warnings (PyTorch's "converting a tensor with requires_grad=True to a scalar", which the
    # lectures trigger) are not part of what is compared
    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder), aliasing, \
            contextlib.redirect_stdout(stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, namespace)
        except Exception as exc:
            error = _where(exc, path)
        finally:
            engine.set_default_dtype(dtype)
            engine.set_grad_enabled(grad_enabled)
    return {"results": results, "draws": draws, "stdout": stdout.getvalue().splitlines(), "error": error}


def _where(exc: Exception, path: Path) -> str:
    """'line 12: W.data += -lr * W.grad -> TypeError: ...': the script's line that raised, and why."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    line = f"line {frames[-1].lineno}: {frames[-1].line} -> " if frames else ""
    return f"{line}{type(exc).__name__}: {exc}"


# --- comparing two runs ---------------------------------------------------------------------------

# a number standing alone (not the 0 of MulBackward0 or the 64 of float64), or True/False/None/nan/inf
_TOKEN = re.compile(r"(?<![\w.])(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan|True|False|None)(?![\w])")


def printed_values(line: str) -> list[float | str]:
    """The numbers a printed line shows (and its True/False/None), in order."""
    values: list[float | str] = []
    for token in _TOKEN.findall(line):
        values.append(token if token in ("True", "False", "None") else float(token))
    return values


def _close(a: float, b: float, kind: str) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= ATOL[kind] + RTOL[kind] * abs(b)


def _compare_value(key: str, got: Any, want: Any, problems: list[str]) -> None:
    if isinstance(want, dict) and "dtype" in want and "values" in want:
        if not (isinstance(got, dict) and "dtype" in got):
            problems.append(f"{key}: want a tensor {want['dtype']}{tuple(want['shape'])}, got {got!r:.200}")
            return
        if (got["dtype"], got["shape"]) != (want["dtype"], want["shape"]):
            problems.append(f"{key}: want {want['dtype']}{tuple(want['shape'])}, got {got['dtype']}{tuple(got['shape'])}")
            return
        a, b = np.asarray(got["values"]), np.asarray(want["values"])
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            kind = "float32" if want["dtype"] in ("float32", "float16") else "float64"
            ok = np.isclose(a, b, rtol=RTOL[kind], atol=ATOL[kind], equal_nan=True)
            if not np.all(ok):
                worst = np.unravel_index(np.argmax(np.where(ok, 0, np.abs(a - b))), a.shape) if a.ndim else ()
                problems.append(f"{key}: {int(np.sum(~ok))} of {a.size} values differ, e.g. at {worst}: "
                                f"{a[worst]!r} vs PyTorch's {b[worst]!r}")
        elif not np.array_equal(a, b):
            problems.append(f"{key}: values differ: {a.tolist()!r:.200} vs PyTorch's {b.tolist()!r:.200}")
    elif isinstance(want, dict):
        if not isinstance(got, dict) or list(got) != list(want):
            problems.append(f"{key}: want keys {list(want)}, got {list(got) if isinstance(got, dict) else got!r}")
            return
        for k in want:
            _compare_value(f"{key}[{k!r}]", got[k], want[k], problems)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            problems.append(f"{key}: want a list of {len(want)}, got {got!r:.200}")
            return
        for i, (g, w) in enumerate(zip(got, want)):
            _compare_value(f"{key}[{i}]", g, w, problems)
    elif type(got) is not type(want):
        problems.append(f"{key}: want {type(want).__name__} {want!r:.100}, got {type(got).__name__} {got!r:.100}")
    elif isinstance(want, float):
        if not _close(got, want, "float64"):
            problems.append(f"{key}: {got!r} vs PyTorch's {want!r}")
    elif got != want:
        problems.append(f"{key}: {got!r:.200} vs PyTorch's {want!r:.200}")


def compare(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """What differs between a run (`got`) and PyTorch's (`want`): raised errors, recorded values (to
    1e-9 in float64, 1e-6 where PyTorch's value is float32), and printed numbers line by line (at
    float32's precision on a line that says float32)."""
    problems: list[str] = []
    if want["error"] is not None:
        problems.append(f"PyTorch itself raised: {want['error']}")
    if got["error"] is not None:
        problems.append(f"raised {got['error']}")
    missing = [k for k in want["results"] if k not in got["results"]]
    extra = [k for k in got["results"] if k not in want["results"]]
    if missing and got["error"] is None:
        problems.append(f"not recorded: {missing}")
    if extra:
        problems.append(f"recorded, though PyTorch did not: {extra}")
    for key, value in want["results"].items():
        if key in got["results"]:
            _compare_value(key, got["results"][key], value, problems)
    lines, want_lines = got["stdout"], want["stdout"]
    if got["error"] is None and len(lines) != len(want_lines):
        problems.append(f"printed {len(lines)} lines, PyTorch {len(want_lines)}")
    for number, (line, want_line) in enumerate(zip(lines, want_lines), 1):
        a, b = printed_values(line), printed_values(want_line)
        kind = "float32" if "float32" in want_line else "float64"
        same = len(a) == len(b) and all(
            x == y if isinstance(x, str) or isinstance(y, str) else _close(x, y, kind) for x, y in zip(a, b))
        if not same:
            problems.append(f"printed line {number}: {line!r} vs PyTorch's {want_line!r}")
    return problems


def report(name: str, problems: Sequence[str], limit: int = 12) -> str:
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"tests/teaching/{name}.py differs from PyTorch:\n  " + "\n  ".join(problems[:limit]) + more
