"""Teaching programs (tests/teaching/*.py: plain PyTorch scripts in the style of the tutorials and
the lecture series) run unchanged with ``torch`` resolving to tinygrad_la, and every number they
record or print matches PyTorch's to 1e-9 in float64. Against PyTorch's recorded answers
(tests/fixtures/teaching_programs.json, from tests/record_teaching_programs.py) everywhere, and
against PyTorch live where it is installed.

A program that does not yet run under tinygrad_la stays as PyTorch users write it and is marked
xfail(strict=True) below with its exact failure, so the mark goes red the day it passes.
"""
from __future__ import annotations

import ast
import copy
import importlib
import sys

import pytest

import tinygrad_la
from tests import record_teaching_programs as recording
from tests import teaching

RECORDED = recording.load()

# program -> how it fails under tinygrad_la today (the library is another engineer's to change)
# (the text after "->" is the exception as raised; a program failing some other way fails the test)
KNOWN_FAILURES: dict[str, str] = {}


def _programs() -> list:
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, raises=AssertionError,
                                                       reason=KNOWN_FAILURES[name]))
            if name in KNOWN_FAILURES else name for name in teaching.PROGRAMS]


def _draws() -> list[str]:
    return [name for name in teaching.PROGRAMS if "record_draw(" in teaching.source(name)]


def _check(name: str, got: dict, want: dict) -> None:
    """Assert tinygrad_la's run matches PyTorch's; a known failure must fail as KNOWN_FAILURES says
    (else this raises something other than the AssertionError its xfail expects)."""
    if name in KNOWN_FAILURES and got["error"] is not None:
        line, _, exception = KNOWN_FAILURES[name].partition(" -> ")
        if not (got["error"].startswith(line.split(":")[0] + ":") and got["error"].endswith(exception)):
            raise RuntimeError(f"{name} fails otherwise than KNOWN_FAILURES says: {got['error']}")
    problems = teaching.compare(got, want)
    assert not problems, teaching.report(name, problems)


# --- the programs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", _programs())
def test_program_matches_recorded_pytorch(name: str) -> None:
    recorded = RECORDED[name]
    assert recorded["sha256"] == teaching.fingerprint(name), (
        f"tests/teaching/{name}.py changed since PyTorch's answers were recorded: "
        "run .venv/bin/python tests/record_teaching_programs.py")
    _check(name, teaching.run(name, "tinygrad_la"), recorded)


@pytest.mark.torch
@pytest.mark.parametrize("name", _programs())
def test_program_matches_live_pytorch(name: str) -> None:
    pytest.importorskip("torch")
    _check(name, teaching.run(name, "tinygrad_la"), teaching.run(name, "torch"))


@pytest.mark.torch
def test_recorded_answers_are_pytorchs_own() -> None:
    pytest.importorskip("torch")
    stale = {}
    for name in teaching.PROGRAMS:
        problems = teaching.compare(teaching.run(name, "torch"), RECORDED[name])
        if problems:
            stale[name] = problems[:3]
    assert not stale, f"the fixture is stale, run tests/record_teaching_programs.py: {stale}"


@pytest.mark.parametrize("name", _draws())
def test_draws_repeat_under_the_same_seed(name: str) -> None:
    """Sampled names come from tinygrad_la's own stream, not PyTorch's: not compared across the
    libraries, but the same seeds must draw the same names again, as many as PyTorch draws."""
    first, second = teaching.run(name, "tinygrad_la"), teaching.run(name, "tinygrad_la")
    assert first["error"] is None, first["error"]
    assert first["draws"] == second["draws"]
    want = RECORDED[name]["draws"]
    assert list(first["draws"]) == list(want)
    for key, values in first["draws"].items():
        assert len(values) == len(want[key]) and all(isinstance(v, str) and v for v in values), key


# --- the programs are PyTorch's, unchanged --------------------------------------------------------

@pytest.mark.parametrize("name", teaching.PROGRAMS)
def test_program_is_a_plain_pytorch_script(name: str) -> None:
    text = teaching.source(name)
    assert text.startswith("import torch\n")
    assert "tinygrad" not in text
    imported = {alias.name for node in ast.walk(ast.parse(text)) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
    assert imported <= {"torch", "torch.nn", "torch.nn.functional", "torch.utils.data", "torch.optim", "numpy",
                        "random"}, imported


def test_every_program_is_recorded_and_known_failures_are_programs() -> None:
    assert sorted(RECORDED) == sorted(teaching.PROGRAMS)
    assert set(KNOWN_FAILURES) <= set(teaching.PROGRAMS)
    assert sorted(p.stem for p in teaching.FOLDER.glob("*.py") if p.stem != "__init__") == sorted(teaching.PROGRAMS)


def test_import_torch_gives_tinygrad_la_inside_and_torch_back_after() -> None:
    try:
        importlib.import_module("torch")   # the real one, where installed: it must come back after
    except ImportError:
        pass
    before = {name: module for name, module in sys.modules.items() if name == "torch" or name.startswith("torch.")}
    with teaching.torch_is_tinygrad_la():
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim.lr_scheduler
        from torch.utils.data import DataLoader
        assert torch is tinygrad_la and nn is tinygrad_la.nn and F is tinygrad_la.nn.functional
        assert DataLoader is tinygrad_la.utils.data.DataLoader
        assert sys.modules["torch.optim.lr_scheduler"] is tinygrad_la.optim.lr_scheduler
        with pytest.raises(ModuleNotFoundError, match="tinygrad_la.no_such_module"):
            import torch.no_such_module  # noqa: F401
    after = {name: module for name, module in sys.modules.items() if name == "torch" or name.startswith("torch.")}
    assert after == before


# --- the comparison can fail -----------------------------------------------------------------------

def test_compare_finds_what_differs() -> None:
    want = RECORDED["sgd_by_hand"]
    assert teaching.compare(copy.deepcopy(want), want) == []

    off = copy.deepcopy(want)
    off["results"]["losses, grad = None"][3] *= 1 + 1e-8
    assert teaching.compare(off, want) == [f"losses, grad = None[3]: {off['results']['losses, grad = None'][3]!r} "
                                           f"vs PyTorch's {want['results']['losses, grad = None'][3]!r}"]
    off = copy.deepcopy(want)
    off["results"]["W1 after"]["values"][1][2] += 1e-8
    assert "W1 after: 1 of 24 values differ" in teaching.compare(off, want)[0]
    off = copy.deepcopy(want)
    off["results"]["W1 after"]["dtype"] = "float32"
    assert teaching.compare(off, want) == ["W1 after: want float64(3, 8), got float32(3, 8)"]
    off = copy.deepcopy(want)
    off["results"]["W1 is a leaf"] = 1
    assert teaching.compare(off, want) == ["W1 is a leaf: want bool True, got int 1"]
    off = copy.deepcopy(want)
    off["stdout"][1] = off["stdout"][1].replace("0.113162", "0.113163")
    assert teaching.compare(off, want) == [f"printed line 2: {off['stdout'][1]!r} vs PyTorch's {want['stdout'][1]!r}"]
    off = copy.deepcopy(want)
    off["stdout"].pop()
    off["error"] = "line 9: x -> TypeError: no"
    assert teaching.compare(off, want)[0] == "raised line 9: x -> TypeError: no"


def test_printed_values_skip_names_and_dtypes() -> None:
    line = "tensor([[27., -2.5e-03]], dtype=torch.float64, grad_fn=<MulBackward0>) True 0x7f3a inf"
    assert teaching.printed_values(line) == [27.0, -0.0025, "True", float("inf")]
