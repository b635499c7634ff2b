"""Tests of tests/conftest.py's CI gate: under CI=true, a run whose PyTorch-oracle tests were all
skipped fails.

Each case runs pytest in a fresh process on a tiny test file, with the gate's hooks loaded from
tests/conftest.py. Where torch is to be missing, a stub `torch` package first on the path raises
ModuleNotFoundError as a missing one does, so the outcome does not depend on whether PyTorch is
installed here.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[1]

ORACLE_TESTS = '''
import pytest


@pytest.mark.torch
def test_oracle_one():
    torch = pytest.importorskip("torch")
    assert torch.tensor([1.0, 2.0]).sum().item() == 3.0


@pytest.mark.torch
def test_oracle_two():
    pytest.importorskip("torch")


def test_plain():
    assert 1 + 1 == 2
'''

# an oracle test that passes without PyTorch: the gate counts tests that ran, not imports
PASSING_ORACLE_TEST = '''
import pytest


@pytest.mark.torch
def test_oracle_that_runs():
    assert 2 * 2 == 4
'''


def run_pytest(tmp_path: Path, source: str, *args: str, ci: str | None,
               hide_torch: bool) -> subprocess.CompletedProcess:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    torch: needs PyTorch installed\n")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import (pytest_collection_finish, pytest_runtest_logreport, pytest_sessionfinish,\n"
        "                            pytest_terminal_summary)\n")
    (tmp_path / "test_tiny.py").write_text(source)
    path = [str(REPO)]
    if hide_torch:
        stub = tmp_path / "stub" / "torch"
        stub.mkdir(parents=True)
        (stub / "__init__.py").write_text(
            "raise ModuleNotFoundError(\"No module named 'torch' (hidden by the test)\", name='torch')\n")
        path.insert(0, str(tmp_path / "stub"))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = os.pathsep.join(path)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_ci_fails_a_run_whose_oracle_tests_were_all_skipped(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, ORACLE_TESTS, ci="true", hide_torch=True)
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout
    assert ("CI=true: the PyTorch-oracle tests did not run (torch not importable: ModuleNotFoundError: "
            "No module named 'torch' (hidden by the test)); install the oracle extra") in result.stdout


@pytest.mark.parametrize("args", [("-m", "not torch"), ("-k", "plain")], ids=["-m", "-k"])
def test_ci_accepts_oracle_tests_deselected_on_purpose(tmp_path: Path, args: tuple) -> None:
    result = run_pytest(tmp_path, ORACLE_TESTS, *args, ci="true", hide_torch=True)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "1 passed, 2 deselected" in result.stdout
    assert "PyTorch-oracle" not in result.stdout


@pytest.mark.parametrize("ci", [None, "false"])
def test_outside_ci_skipped_oracle_tests_are_only_skips(tmp_path: Path, ci: str | None) -> None:
    result = run_pytest(tmp_path, ORACLE_TESTS, ci=ci, hide_torch=True)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout
    assert "PyTorch-oracle" not in result.stdout


def test_ci_accepts_a_run_in_which_oracle_tests_ran(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, PASSING_ORACLE_TEST, ci="true", hide_torch=True)
    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "PyTorch-oracle" not in result.stdout
