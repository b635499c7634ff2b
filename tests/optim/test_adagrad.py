"""Tests of tinygrad_la/optim/adagrad.py: Adagrad's update (lr decay, initial accumulator, weight
decay, maximize) against its formula, as a textbook writes it.
"""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_la import optim

from tests.optim.helpers import assert_update_matches, case_ids, grad_by_hand


def ref_adagrad(theta, steps, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    s = np.full_like(theta, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = grad_by_hand(theta) * (-1 if maximize else 1) + weight_decay * theta
        s = s + g * g
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return theta


CASES = [
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.5)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, initial_accumulator_value=0.3, weight_decay=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, maximize=True, eps=1e-3)),
]


@pytest.mark.parametrize("cls, reference, kwargs", CASES, ids=case_ids(CASES))
def test_update_matches_the_formula(cls, reference, kwargs):
    assert_update_matches(cls, reference, kwargs)
