"""Tests of tinygrad_la/optim/rmsprop.py: RMSprop's update (centered, momentum, weight decay,
maximize) against its formula, as a textbook writes it.
"""
from __future__ import annotations

import numpy as np
import pytest

from tinygrad_la import optim

from tests.optim.helpers import assert_update_matches, case_ids, grad_by_hand


def ref_rmsprop(theta, steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    v = g_avg = b = np.zeros_like(theta)
    for _ in range(steps):
        g = grad_by_hand(theta) * (-1 if maximize else 1) + weight_decay * theta
        v = alpha * v + (1 - alpha) * g ** 2
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            denom = np.sqrt(v - g_avg ** 2) + eps
        else:
            denom = np.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / denom
            theta = theta - lr * b
        else:
            theta = theta - lr * g / denom
    return theta


CASES = [
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, weight_decay=0.1, alpha=0.9)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
]


@pytest.mark.parametrize("cls, reference, kwargs", CASES, ids=case_ids(CASES))
def test_update_matches_the_formula(cls, reference, kwargs):
    assert_update_matches(cls, reference, kwargs)
