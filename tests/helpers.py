"""Helpers shared by test modules in several folders."""
from __future__ import annotations

import os

import pytest

import tinygrad_la as tg


def leaf(values, **kwargs) -> tg.Tensor:
    return tg.tensor(values, dtype=tg.float64, requires_grad=True, **kwargs)


def need(what: str, ok: bool) -> None:
    """Skip when a system program or package is missing; in CI (CI=true), where `make test`
    installs it, fail instead."""
    if not ok:
        message = f"{what} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: `make test` installs it, so this is an error)")
        pytest.skip(message)


def values_of(root: tg.Value) -> list[tg.Value]:
    """Every Value in the graph under `root` (each once), the root first."""
    seen: list[tg.Value] = []
    stack = [root]
    while stack:
        v = stack.pop()
        if all(v is not s for s in seen):
            seen.append(v)
            stack.extend(v._parents)
    return seen
