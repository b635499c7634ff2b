"""Floating point errors ignored for a block, as ``np.errstate(all="ignore")`` does, at a quarter of its cost.

An optimizer step ignores overflow and invalid values (they give inf and nan, as in PyTorch), so
that ``np.seterr(all="raise")`` cannot stop an update halfway with some parameters changed and
others not. NumPy keeps its error state in a context variable; setting that variable to an
"ignore all" state made once is what ``np.errstate`` does, without building the state each time.
Where a NumPy release keeps the state elsewhere, the public ``np.errstate`` is used instead.
"""
from __future__ import annotations

import importlib
from typing import Any

import numpy as np

__all__ = ["ignore", "restore"]

try:
    _config = importlib.import_module("numpy._core._ufunc_config")
    _variable = _config._extobj_contextvar
    _IGNORE_ALL = _config._make_extobj(all="ignore")
except Exception:   # noqa: BLE001 (another NumPy: fall back to its public spelling)
    _variable = None


def ignore() -> Any:
    """Ignore floating point errors from here on; returns what ``restore`` needs to undo it."""
    if _variable is not None:
        return _variable.set(_IGNORE_ALL)
    context = np.errstate(all="ignore")
    context.__enter__()
    return context


def restore(token: Any) -> None:
    """Go back to the error handling that held before the matching ``ignore()``."""
    if _variable is not None:
        _variable.reset(token)
    else:
        token.__exit__(None, None, None)
