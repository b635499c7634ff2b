"""Shared test setup: hypothesis profiles, and a clean global state for every test.

Profiles (choose with the HYPOTHESIS_PROFILE environment variable, "ci" by default):
  ci   25 examples per property, derandomized: every run draws the same examples, so CI is
       reproducible and a red build can be rerun locally as it was.
  dev  200 random examples per property, for hunting bugs before a commit:
       HYPOTHESIS_PROFILE=dev python -m pytest tests/ops

Under CI=true, a run whose PyTorch-oracle tests (marker `torch`) were all skipped fails: see
the hooks at the end.

tests/ is a package (and so is each folder in it), so test files in different folders may share a
name (tests/nn/test_layers.py, tests/test_layers.py); helpers are imported as tests.<folder>.helpers.
"""
from __future__ import annotations

import os
from typing import Any, Iterator

import pytest
from hypothesis import settings

import tinygrad_la
from tinygrad_la import autograd

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def pytorch(request: pytest.FixtureRequest) -> Any:
    """Ask PyTorch: ``pytorch(question, compute)`` returns compute(torch)'s plain-data answer, live
    where PyTorch is installed and recorded where it is not (see tests/oracle.py)."""
    from tests.oracle import recordings
    module = request.node.module.__name__.removeprefix("tests.")

    def ask(question: str, compute: Any) -> Any:
        return recordings.ask(module, f"{request.node.name}::{question}", compute)
    return ask


@pytest.fixture(autouse=True)
def restore_global_state() -> Iterator[None]:
    """Put back the default dtype, grad mode and anomaly detection, whatever the test did."""
    dtype = tinygrad_la.get_default_dtype()
    grad_enabled = tinygrad_la.is_grad_enabled()
    anomaly = autograd.is_anomaly_enabled()
    yield
    tinygrad_la.set_default_dtype(dtype)
    tinygrad_la.set_grad_enabled(grad_enabled)
    autograd.set_detect_anomaly(anomaly)


# --- CI=true: the PyTorch-oracle tests must have run ------------------------------------------------
# Tests marked `torch` compare with PyTorch and skip where it cannot be imported. On a developer's
# machine that is a choice; in CI it would turn the oracle off without a word, and the build would
# stay green having checked less than it claims. So with CI=true, a run that selected oracle tests
# (after -m and -k, so deselecting them on purpose is fine) in which none of them ran, because each
# was skipped, fails with the reason.

class _OracleRuns:
    def __init__(self) -> None:
        self.selected: set[str] = set()
        self.ran: set[str] = set()                # reached their call and passed or failed
        self.skips: list[str] = []
        self.message: str | None = None


_oracle = _OracleRuns()


def pytest_collection_finish(session: pytest.Session) -> None:
    global _oracle
    _oracle = _OracleRuns()
    _oracle.selected = {item.nodeid for item in session.items if item.get_closest_marker("torch")}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid not in _oracle.selected:
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _oracle.skips.append(reason)
    elif report.when == "call":
        _oracle.ran.add(report.nodeid)


def _oracle_did_not_run() -> str | None:
    """The failure message if this is a CI run whose oracle tests were all skipped, else None."""
    if os.environ.get("CI") != "true" or not _oracle.selected or _oracle.ran or not _oracle.skips:
        return None
    try:
        import torch  # noqa: F401
    except Exception as error:   # ImportError, or a broken install raising something else
        why = f"torch not importable: {type(error).__name__}: {error}"
    else:
        why = f"all {len(_oracle.selected)} were skipped: {_oracle.skips[0]}"
    return (f"CI=true: the PyTorch-oracle tests did not run ({why}); "
            "install the oracle extra: pip install -e '.[oracle]'")


def pytest_sessionfinish(session: pytest.Session, exitstatus: Any) -> None:
    from tests.oracle import RECORDING, recordings
    if RECORDING:   # make fixtures: write the answers PyTorch gave
        for path in recordings.write():
            print(f"\nrecorded {path}")
    _oracle.message = _oracle_did_not_run()
    if _oracle.message is not None and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _oracle.message is not None:
        terminalreporter.write_sep("=", "PyTorch oracle", red=True)
        terminalreporter.write_line(_oracle.message, red=True)
