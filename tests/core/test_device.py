"""Tests of tinygrad_la/core/device.py: the CPU is the one device; asking for another says so."""
from __future__ import annotations

import pytest

import tinygrad_la as tg


def test_creation_on_cuda_raises_naming_the_cpu():
    with pytest.raises(RuntimeError, match=r"'cuda'.*CPU"):
        tg.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match=r"'cuda:1'.*CPU"):
        tg.tensor([1.0], device="cuda:1")
    assert tg.zeros(2, device="cpu").device == "cpu"


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_to_another_device_raises_naming_the_cpu(device):
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=rf"'{device}'.*CPU"):
        x.to(device)
    with pytest.raises(RuntimeError, match="CPU"):
        x.to(device=device)
