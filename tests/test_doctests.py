"""The examples in the package's docstrings (`>>>` lines) run as doctests and print what they show."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tinygrad_la


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(tinygrad_la.__path__, "tinygrad_la."):
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin and ">>> " in open(spec.origin, encoding="utf-8").read():
            names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_some_docstrings_have_examples():
    assert "tinygrad_la.value" in MODULES and "tinygrad_la.nn.utils" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has '>>> ' but no example doctest found"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed"
