"""A tiny module with graph_example(), for testing `python -m tinygrad_la.viz MODULE`."""
from __future__ import annotations

import tinygrad_la as tg
from tinygrad_la import nn


def graph_example() -> tuple:
    """One step of a 2 -> 3 -> 1 network on a batch of 4, up to backward(retain_graph=True)."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    X = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward(retain_graph=True)
    return loss, dict(model.named_parameters()), model
