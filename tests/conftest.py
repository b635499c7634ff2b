"""Shared test setup: hypothesis profiles, and a clean global state for every test.

Profiles (choose with the HYPOTHESIS_PROFILE environment variable, "ci" by default):
  ci   25 examples per property, derandomized: every run draws the same examples, so CI is
       reproducible and a red build can be rerun locally as it was.
  dev  200 random examples per property, for hunting bugs before a commit:
       HYPOTHESIS_PROFILE=dev python -m pytest tests/ops
"""
from __future__ import annotations

import os
from typing import Iterator

import pytest
from hypothesis import settings

import tinygrad_la
from tinygrad_la import autograd

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
