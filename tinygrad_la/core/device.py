"""The one device there is: the CPU (tinygrad_la computes with NumPy)."""
from __future__ import annotations

from typing import Any

__all__ = ["device", "cpu"]


class device:
    """``tinygrad_la.device("cpu")``: the only device there is (``tensor.device`` is this one)."""

    def __init__(self, type: Any = "cpu", index: Any = None) -> None:  # noqa: A002
        _check_device(type if index is None else f"{type}:{index}")
        self.type = "cpu"
        self.index = None

    def __repr__(self) -> str:
        """``device(type='cpu')``, as PyTorch prints it."""
        return "device(type='cpu')"

    def __str__(self) -> str:
        """``cpu``."""
        return "cpu"

    def __eq__(self, other: Any) -> bool:
        """Equal to the CPU device and to the string 'cpu'."""
        return str(other) == "cpu"

    def __hash__(self) -> int:
        """The hash of 'cpu', so a device and the string key the same entry."""
        return hash("cpu")


def _check_device(device: Any) -> None:
    """Accept "cpu" (or a device); anything else raises, saying where the computing happens."""
    name = str(device).split(":")[0]
    if name != "cpu":
        raise RuntimeError(f"device {str(device)!r} is not available: tinygrad_la runs on NumPy, on the "
                           "CPU only. Use device='cpu' (or leave it out).")


cpu = device("cpu")
