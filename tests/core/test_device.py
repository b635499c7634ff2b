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


def test_naming_another_device_works_and_using_it_raises():
    # PyTorch programs pick a device first: device = torch.device("cuda" if available else "cpu")
    cuda = tg.device("cuda")
    assert repr(cuda) == "device(type='cuda')" and str(cuda) == "cuda" and cuda == "cuda" and cuda.type == "cuda"
    assert str(tg.device("cuda:1")) == "cuda:1" and tg.device("cuda", 0).index == 0
    assert repr(tg.device("cuda", 0)) == "device(type='cuda', index=0)"
    with pytest.raises(RuntimeError, match=r"'cuda'.*CPU"):
        tg.zeros(2, device=cuda)
    with pytest.raises(RuntimeError, match=r"'cuda'.*CPU"):
        tg.nn.Linear(2, 1).to(cuda)
    with pytest.raises(RuntimeError, match=r"Expected one of cpu, cuda.*device type.*gpu"):
        tg.device("gpu")
    assert tg.zeros(2).device == tg.device("cpu") and repr(tg.zeros(2).device) == "device(type='cpu')"
