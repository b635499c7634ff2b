"""Tests of tinygrad_la/optim/adam.py: Adam's and AdamW's updates against their formulas.
"""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_la import optim

from tests.optim.helpers import ref_adam, run_ours, start_values


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.2),
                                    dict(lr=0.1, amsgrad=True, maximize=True), dict(lr=0.05, betas=(0.5, 0.6))])
def test_adamw_decouples_the_weight_decay(kwargs):
    ours = run_ours(optim.AdamW, kwargs)
    expected_kwargs = dict(kwargs)
    expected_kwargs.setdefault("weight_decay", 1e-2)   # AdamW's default
    for got, start in zip(ours, start_values()):
        np.testing.assert_allclose(got, ref_adam(start, 6, decoupled=True, **expected_kwargs), rtol=1e-12)
