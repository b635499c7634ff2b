"""Version counters: how a backward pass notices that a value it saved was changed in place.

Versions are ticks of one clock, so a graph node needs only the tick at which it was made: a tensor
changed later has a larger version. Tensors that share memory (views) share one counter.
"""
from __future__ import annotations

from typing import Protocol

__all__ = ["clock", "counter", "bump"]

clock = [0]   # the current tick (a list so every module sees the same number as it moves)


class Versioned(Protocol):
    """What has a version counter: a tensor (`_version` is None until it is first needed)."""

    _version: list[int] | None


def counter(t: Versioned) -> list[int]:
    """The tensor's version counter, made on first use (most tensors never need one)."""
    version = t._version
    if version is None:
        version = t._version = [0]
    return version


def bump(t: Versioned) -> None:
    """Record an in-place change of `t` (and of every view sharing its memory)."""
    clock[0] += 1
    counter(t)[0] = clock[0]
