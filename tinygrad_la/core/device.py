"""The one device there is: the CPU (tinygrad_la computes with NumPy)."""
from __future__ import annotations

from typing import Any

__all__ = ["device", "cpu"]


class device:
    """``tinygrad_la.device("cpu")`` (``tensor.device`` is this one). Other devices can be named, as
    in PyTorch, so ``torch.device("cuda" if ... else "cpu")`` runs; using one raises (see _check_device)."""

    def __init__(self, type: Any = "cpu", index: Any = None) -> None:  # noqa: A002
        name = str(type)
        if ":" in name:
            name, _, number = name.partition(":")
            if not number.isdigit():
                raise RuntimeError(f"Invalid device string: {str(type)!r}; write e.g. 'cpu', 'cuda' or 'cuda:0'")
            index = int(number)
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of device "
                               f"string: {str(type)}")
        self.type = name
        self.index = None if index is None else int(index)

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: Any) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


# PyTorch's device types a program may name (only the CPU can be used here)
_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "mtia", "privateuseone")


def _check_device(device: Any) -> None:
    """Accept "cpu" (or a device); anything else raises, saying where the computing happens."""
    name = str(device).split(":")[0]
    if name != "cpu":
        raise RuntimeError(f"device {str(device)!r} is not available: tinygrad_la runs on NumPy, on the "
                           "CPU only. Use device='cpu' (or leave it out).")


cpu = device("cpu")
