"""Tests of tinygrad_la/optim/sgd.py: SGD's update (momentum, dampening, Nesterov, weight decay,
maximize) against its formula, as a textbook writes it.
"""
from __future__ import annotations

import pytest

from tinygrad_la import optim

from tests.optim.helpers import assert_update_matches, case_ids, grad_by_hand


def ref_sgd(theta, steps, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    b = None
    for _ in range(steps):
        g = grad_by_hand(theta) * (-1 if maximize else 1) + weight_decay * theta
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.SGD, ref_sgd, dict(lr=0.1, weight_decay=0.05)),
    (optim.SGD, ref_sgd, dict(lr=0.05, maximize=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True)),
]


@pytest.mark.parametrize("cls, reference, kwargs", CASES, ids=case_ids(CASES))
def test_update_matches_the_formula(cls, reference, kwargs):
    assert_update_matches(cls, reference, kwargs)
