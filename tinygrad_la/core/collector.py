"""Python's cycle collector while a graph grows.

A recorded graph holds no reference cycles (a node points only at the nodes it was computed from),
so reference counting frees it the moment the last tensor of it goes. The cycle collector does not
know that: each full collection walks every object alive, and a growing heap triggers one each time
it has grown by a quarter, so recording a graph of a million ops walks the graph over and over
for nothing.

The policy here: when a full collection has just found (almost) nothing to free, and the objects
that most recently survived into the oldest generation are mostly graph nodes, everything alive is
frozen (``gc.freeze``: the collector skips it; reference counting still frees it as usual).
Collections then look only at what is new. ``backward()`` thaws the frozen objects once it has
walked the graph, so nothing stays out of the collector's sight for longer than one step; it never
thaws objects the program froze itself (``gc.freeze`` before the first freeze here).
"""
from __future__ import annotations

import gc
from typing import Any

__all__ = ["install", "uninstall", "thaw"]

# A full collection that frees at most this many objects found the heap alive.
_FEW_FREED = 100
# How many of the newest oldest-generation objects to look at, and the share of graph nodes among
# them (a recorded op leaves a tensor, a node and two tuples: half are nodes).
_SAMPLE = 256
_NODE_SHARE = 0.25


class _State:
    """What the policy has done: whether it froze objects that thaw() should give back."""

    __slots__ = ("froze", "frozen_before", "installed")

    def __init__(self) -> None:
        self.froze = False          # objects frozen here since the last thaw
        self.frozen_before = 0      # the program's own frozen objects at the first freeze here
        self.installed = False


_state = _State()


def _is_graph_node(obj: Any) -> bool:
    # the engine's node protocol: tensors, op nodes and Values all have _parents
    return hasattr(type(obj), "_parents")


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    """gc callback: freeze the survivors of a full collection that freed nothing in a growing graph."""
    if phase != "stop" or info.get("generation") != 2 or info.get("collected", 0) > _FEW_FREED:
        return
    newest = gc.get_objects(generation=2)[-_SAMPLE:]
    if len(newest) < _SAMPLE:
        return   # a small heap: collections are cheap, leave the collector as it is
    nodes = sum(1 for obj in newest if _is_graph_node(obj))
    del newest
    if nodes < _NODE_SHARE * _SAMPLE:
        return
    if not _state.froze:
        _state.frozen_before = gc.get_freeze_count()
    gc.freeze()
    _state.froze = True


def thaw() -> None:
    """Give the objects frozen here back to the collector (backward() calls this when done)."""
    if not _state.froze:
        return
    _state.froze = False
    if _state.frozen_before == 0:   # never thaw what the program froze itself
        gc.unfreeze()


def install() -> None:
    """Turn the policy on (done on import)."""
    if not _state.installed:
        gc.callbacks.append(_after_collection)
        _state.installed = True


def uninstall() -> None:
    """Turn the policy off, thawing what it froze."""
    if _state.installed:
        gc.callbacks.remove(_after_collection)
        _state.installed = False
    thaw()


install()
