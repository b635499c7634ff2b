"""Version checks: how a backward pass notices that a value it saved was changed in place.

Every in-place change of a tensor ticks one clock and notes the tick against the memory it wrote
(the array that owns that memory). A graph node keeps only the tick at which it was made. At
backward, if the clock still reads that tick, nothing anywhere was changed in place since, and
there is nothing to check: the common case costs no work per op, and no counter per tensor. If the
clock moved, the node asks, for each array it saved, when that array's memory last changed.

The check follows memory, not tensor objects: views, detached tensors and ``.data`` look at their
base's memory, so a change through any of them counts, and so does a change through another
tensor made on the same NumPy array.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable, Protocol

import numpy as np

__all__ = ["clock", "bump", "changed_at"]

clock = [0]   # the current tick (a list so every module sees the same number as it moves)

# id(owner array) -> [a weak reference to it, the tick of its last in-place change]. Weak, so the
# table never keeps memory alive; an entry goes when its array does.
_changes: dict[int, list[Any]] = {}


class _HasArray(Protocol):
    """What can be changed in place: a tensor, around its NumPy array."""

    _array: np.ndarray


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory `array` looks at: itself, or the end of its chain of bases
    (NumPy points a view's .base at the owner; as_strided leaves a helper object in between)."""
    base = array.base
    while base is not None:
        if isinstance(base, np.ndarray):
            array = base
        base = getattr(base, "base", None)
    return array


def bump(t: _HasArray) -> None:
    """Record an in-place change of `t`'s memory (and so of every view of it)."""
    clock[0] += 1
    owner = _owner(t._array)
    key = id(owner)
    entry = _changes.get(key)
    if entry is None or entry[0]() is not owner:
        entry = _changes[key] = [weakref.ref(owner, _forgetter(key)), 0]
    entry[1] = clock[0]


def _forgetter(key: int) -> Callable[[weakref.ref[np.ndarray]], None]:
    """The callback that drops `key`'s entry when its array goes (unless the id was reused)."""
    def forget(ref: weakref.ref[np.ndarray]) -> None:
        entry = _changes.get(key)
        if entry is not None and entry[0] is ref:
            del _changes[key]
    return forget


def changed_at(array: Any) -> int:
    """The tick of the last in-place change of `array`'s memory (-1: never changed)."""
    if type(array) is not np.ndarray:
        return -1   # numbers and NumPy scalars are immutable
    owner = _owner(array)
    entry = _changes.get(id(owner))
    if entry is None or entry[0]() is not owner:
        return -1
    tick: int = entry[1]
    return tick
