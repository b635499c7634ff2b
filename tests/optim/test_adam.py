"""Tests of tinygrad_la/optim/adam.py: Adam's update (betas, eps, amsgrad, weight decay, maximize) and
AdamW's decoupled weight decay against their formulas, as a textbook writes them.
"""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_la import optim

from tests.optim.helpers import assert_update_matches, case_ids, grad_by_hand, run_ours, start_values


def ref_adam(theta, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    m = v = v_max = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grad_by_hand(theta) * (-1 if maximize else 1)
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1 ** t)
        v_hat = (v_max if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


CASES = [
    (optim.Adam, ref_adam, dict(lr=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.1, betas=(0.8, 0.9), eps=1e-6)),
    (optim.Adam, ref_adam, dict(lr=0.1, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.1, weight_decay=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.1, maximize=True)),
    (optim.Adam, ref_adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("cls, reference, kwargs", CASES, ids=case_ids(CASES))
def test_update_matches_the_formula(cls, reference, kwargs):
    assert_update_matches(cls, reference, kwargs)


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.2),
                                    dict(lr=0.1, amsgrad=True, maximize=True), dict(lr=0.05, betas=(0.5, 0.6))])
def test_adamw_decouples_the_weight_decay(kwargs):
    ours = run_ours(optim.AdamW, kwargs)
    expected_kwargs = dict(kwargs)
    expected_kwargs.setdefault("weight_decay", 1e-2)   # AdamW's default
    for got, start in zip(ours, start_values()):
        np.testing.assert_allclose(got, ref_adam(start, 6, decoupled=True, **expected_kwargs), rtol=1e-12)
