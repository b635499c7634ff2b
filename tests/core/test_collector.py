"""Tests of tinygrad_la/core/collector.py: the cycle collector's policy while a graph grows."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la.core import collector


@pytest.fixture(autouse=True)
def _clean_collector():
    collector.thaw()
    gc.unfreeze()
    gc.collect()
    yield
    collector.thaw()
    gc.unfreeze()


def _chain(ops):
    x = tg.tensor(np.ones(4), requires_grad=True)
    y = x
    for _ in range(ops // 2):
        y = y * 1.0 + 0.0
    return x, y


def test_a_full_collection_over_a_growing_graph_freezes_it_and_backward_thaws_it():
    x, y = _chain(4000)
    gc.collect()                      # a full collection: it frees nothing, the newest survivors are nodes
    assert gc.get_freeze_count() > 8000
    y.sum().backward()
    assert gc.get_freeze_count() == 0
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(4))


def test_other_heaps_are_left_to_the_collector():
    grown = [{"i": i} for i in range(4000)]   # live, but not graph nodes
    gc.collect()
    assert gc.get_freeze_count() == 0
    del grown


def test_what_the_program_froze_itself_stays_frozen():
    kept = [[i] for i in range(1000)]
    gc.freeze()
    own = gc.get_freeze_count()
    x, y = _chain(4000)
    gc.collect()
    assert gc.get_freeze_count() > own
    y.sum().backward()
    assert gc.get_freeze_count() >= own   # the program's freeze is not undone
    del kept


def test_a_frozen_graph_is_still_freed_when_dropped():
    import weakref
    x, y = _chain(4000)
    gc.collect()
    assert gc.get_freeze_count() > 0
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None             # reference counting frees it at once, frozen or not


def test_cycles_made_after_backward_are_collected_again():
    import weakref
    x, y = _chain(4000)
    gc.collect()
    y.sum().backward()

    class Cell:
        pass
    a, b = Cell(), Cell()
    a.other, b.other = b, a
    probe = weakref.ref(a)
    del a, b
    gc.collect()
    assert probe() is None


def test_uninstall_turns_the_policy_off():
    collector.uninstall()
    try:
        x, y = _chain(4000)
        gc.collect()
        assert gc.get_freeze_count() == 0
    finally:
        collector.install()
