"""Version counters: how a backward pass notices that a value it saved was changed in place.

Versions are ticks of one clock, so a graph node needs only the tick at which it was made: a tensor
changed later has a larger version. Tensors that share memory (views) share one counter.
"""
from __future__ import annotations

from typing import Any

__all__ = ["clock", "counter", "bump"]

clock = [0]   # the current tick (a list so every module sees the same number as it moves)


def counter(t: Any) -> list[int]:
    """The tensor's version counter, made on first use (most tensors never need one)."""
    if t._version is None:
        t._version = [0]
    version: list[int] = t._version
    return version


def bump(t: Any) -> None:
    """Record an in-place change of `t` (and of every view sharing its memory)."""
    clock[0] += 1
    counter(t)[0] = clock[0]
