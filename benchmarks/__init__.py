"""Benchmarks for tinygrad_la against hand-written NumPy (and PyTorch, MyGrad, HIPS autograd,
micrograd when they are installed): the chapter's workloads, each timed against the floor a
NumPy engine can reach.

    python -m benchmarks            # or: make bench   (writes benchmarks/RESULTS.md)
    python -m benchmarks --quick    # a minute or less
    python -m benchmarks --only sine --profile

One module per workload, each defining WORKLOAD (see harness.py for what a workload is). A
workload's first engine is hand NumPy; every engine must reproduce its loss and gradients
before it is timed. Two scaling studies run after the workloads, through the same gate:
scaling.py (an MLP step against batch size and depth) and long_chain.py (time and memory of
10⁴-10⁶-op chains, one process per measurement); plot.py draws both to scaling.png.
"""
from __future__ import annotations

import importlib

WORKLOAD_MODULES = ["sine", "mlp", "per_op", "chain", "value_mlp"]


def workloads() -> list:
    """Every workload, in the order the runner and the tests use."""
    return [importlib.import_module(f"{__name__}.{name}").WORKLOAD for name in WORKLOAD_MODULES]
