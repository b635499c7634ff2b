"""The library's one random generator (NumPy's PCG64).

`manual_seed(s)` makes `rand`, `randn`, `randint`, `randperm` and everything built on them
(nn.init, dropout, shuffling in a DataLoader) reproducible.
"""
from __future__ import annotations

import numpy as np

from .engine import _mode

__all__ = ["manual_seed", "generator"]

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the library's random generator; the same seed gives the same numbers."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def generator(given: np.random.Generator | None = None) -> np.random.Generator:
    """The generator to draw from (`given`, else the library's); a compiled step may not draw."""
    if _mode.tracer is not None:
        _mode.tracer.random()
    return given or _rng
