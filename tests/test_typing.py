"""The package's types and its public names.

mypy --strict accepts the package and a user's program (tests/typing/user_program.py), which also
runs and trains; `from tinygrad_la import *` brings in only public names that shadow no builtin;
and every public module's __all__ names what it defines.
"""
from __future__ import annotations

import builtins
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import tinygrad_la

ROOT = Path(__file__).resolve().parent.parent
USER_PROGRAM = ROOT / "tests" / "typing" / "user_program.py"
SUBMODULES = {"autograd", "nn", "optim", "utils"}   # what `import *` may bring in as modules


def _mypy_or_skip() -> None:
    # mypy is in the dev extra, which `make test` installs: in CI its absence is a broken setup
    if importlib.util.find_spec("mypy") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("mypy is not installed, but CI=true: install the dev extra (pip install -e '.[dev]')")
        pytest.skip("mypy is not installed (pip install -e '.[dev]')")


def _mypy(*targets: str) -> subprocess.CompletedProcess[str]:
    # no cache read or written: no .mypy_cache left in the tree, and none stale from another checkout
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", f"--cache-dir={os.devnull}",
                           *targets], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


# --- mypy -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_mypy_strict_accepts_the_package():
    _mypy_or_skip()
    result = _mypy("tinygrad_la")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


@pytest.mark.slow
def test_mypy_strict_accepts_a_user_program():
    _mypy_or_skip()
    result = _mypy(str(USER_PROGRAM.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_mypy_catches_a_wrong_type_in_a_user_program(tmp_path):
    # the package's types are read, not ignored: a plain mistake against them is reported
    _mypy_or_skip()
    wrong = tmp_path / "wrong.py"
    wrong.write_text("import tinygrad_la as tg\n"
                     "from tinygrad_la import nn\n"
                     "layer = nn.Linear(2, 3)\n"
                     "n: str = layer.num_parameters()\n"
                     "t: tg.Tensor = tg.autograd.Function()\n")
    result = _mypy(str(wrong))
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Incompatible types in assignment (expression has type "int", variable has type "str")' in result.stdout
    assert 'expression has type "Function", variable has type "Tensor"' in result.stdout


# --- the user program runs and learns ---------------------------------------------------------------

def test_the_user_program_runs_and_its_losses_fall():
    result = subprocess.run([sys.executable, str(USER_PROGRAM)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    regression = re.search(r"regression loss: first (\S+) last (\S+)", out)
    classifier = re.search(r"classifier loss: first (\S+) last (\S+) accuracy (\S+)", out)
    assert regression and classifier, out
    first, last = float(regression[1]), float(regression[2])
    assert last < first / 10, out          # sin(x) fitted: the mean squared error falls tenfold at least
    first, last, accuracy = float(classifier[1]), float(classifier[2]), float(classifier[3])
    assert last < first / 10, out
    assert accuracy >= 0.95, out           # two well separated blobs
    # the tour's numbers are the README's: tanh(w·x + b) = tanh(-1) and its gradients
    assert "neuron: -0.7615941559557649 [0.8399486832280523, 1.2599230248420783] 0.41997434161402614" in out
    assert "softmax: [0.0864, 0.8613, 0.0524]" in out
    assert "custom function: [3.0, 12.0, 0.75]" in out
    assert "reloaded: ['0.bias', '0.weight', '2.bias', '2.weight']" in out


# --- public names -----------------------------------------------------------------------------------

def test_star_import_shadows_no_builtin_and_leaks_nothing_private():
    namespace: dict[str, object] = {}
    exec("from tinygrad_la import *", namespace)
    namespace.pop("__builtins__")   # exec puts it there, not the import
    names = set(namespace)
    assert names == set(tinygrad_la.__all__)
    assert not [n for n in names if hasattr(builtins, n)]
    assert not [n for n in names if n.startswith("_")]
    modules = {n for n, v in namespace.items() if isinstance(v, types.ModuleType)}
    assert modules == SUBMODULES
    for internal in ("annotations", "MinMax", "core", "ops", "creation", "functions", "value", "serialization",
                     "engine", "dtypes"):
        assert internal not in names
    assert inspect.isfunction(namespace["tensor"])   # tg.tensor, the function, not the module tensor.py
    assert {"tensor", "Tensor", "no_grad", "float32", "nn", "optim", "zeros", "cat"} <= names


def test_builtin_named_functions_and_dtypes_are_still_attributes():
    import numpy as np
    x = tinygrad_la.tensor([[1.0, -4.0], [3.0, 2.0]])
    assert tinygrad_la.sum(x).item() == 2.0
    assert tinygrad_la.max(x).item() == 3.0
    assert tinygrad_la.min(x).item() == -4.0
    assert tinygrad_la.abs(x).tolist() == [[1.0, 4.0], [3.0, 2.0]]
    assert tinygrad_la.pow(x, 2).tolist() == [[1.0, 16.0], [9.0, 4.0]]
    assert tinygrad_la.all(x != 0).item() is True and tinygrad_la.any(x > 2).item() is True
    assert tinygrad_la.float == np.float32 and tinygrad_la.int == np.int32 and tinygrad_la.bool == np.bool_
    assert callable(tinygrad_la.compile)
    builtin_named = {n for n in dir(tinygrad_la) if hasattr(builtins, n) and not n.startswith("_")}
    assert builtin_named == {"abs", "all", "any", "bool", "compile", "float", "int", "max", "min", "pow", "sum"}


def _public_modules() -> list[types.ModuleType]:
    names = ["tinygrad_la"] + [m.name for m in pkgutil.walk_packages(tinygrad_la.__path__, "tinygrad_la.")]
    return [importlib.import_module(n) for n in names if not any(p.startswith("_") for p in n.split("."))]


def test_every_name_in_every_public_all_exists():
    checked = 0
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            assert hasattr(module, name), f"{module.__name__}.__all__ names {name!r}, which it does not define"
            checked += 1
    assert checked > 300


# the modules whose __all__ must list every class and function they define with a public name
OWN_MODULES = ["tinygrad_la.autograd", "tinygrad_la.gradcheck", "tinygrad_la.serialization", "tinygrad_la.viz",
               "tinygrad_la.compile", "tinygrad_la.testing", "tinygrad_la.nn.functional", "tinygrad_la.nn.init",
               "tinygrad_la.nn.layers", "tinygrad_la.nn.losses", "tinygrad_la.nn.module", "tinygrad_la.nn.utils",
               "tinygrad_la.optim.adagrad", "tinygrad_la.optim.adam", "tinygrad_la.optim.lr_scheduler",
               "tinygrad_la.optim.optimizer", "tinygrad_la.optim.rmsprop", "tinygrad_la.optim.sgd",
               "tinygrad_la.utils.data"]


@pytest.mark.parametrize("name", OWN_MODULES)
def test_all_lists_every_public_class_and_function(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
    defined = {n for n, v in vars(module).items()
               if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
               and getattr(v, "__module__", None) == name}
    left_out = sorted(defined - set(module.__all__))
    assert not left_out, f"{name} defines {left_out} but leaves them out of __all__"
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("name", ["tinygrad_la.nn", "tinygrad_la.optim", "tinygrad_la.utils"])
def test_package_all_is_what_star_import_gives(name):
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    namespace.pop("__builtins__")
    module = importlib.import_module(name)
    assert set(namespace) == set(module.__all__)
    assert not [n for n in namespace if hasattr(builtins, n) or n.startswith("_")]
