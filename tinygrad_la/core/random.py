"""Random numbers: the library's one default generator, and PyTorch's `Generator` for seeded streams.

`manual_seed(s)` makes `rand`, `randn`, `randint`, `randperm`, `multinomial` and everything built
on them (nn.init, dropout, shuffling in a DataLoader) reproducible. A `Generator` of one's own
(`g = Generator().manual_seed(s)`, passed as `generator=g`) gives a stream that nothing else draws
from, as in PyTorch. The numbers are NumPy's (PCG64), not PyTorch's: the same seed gives the same
numbers here on every run, but not PyTorch's numbers.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .engine import _mode

__all__ = ["Generator", "manual_seed", "initial_seed", "seed", "generator", "sample_multinomial"]


class Generator:
    """PyTorch's ``torch.Generator``: a source of random numbers, seeded with ``manual_seed``."""

    def __init__(self, device: Any = "cpu") -> None:
        if str(device).split(":")[0] != "cpu":
            raise RuntimeError(f"Generator(device={str(device)!r}): tinygrad_la runs on the CPU only; "
                               "use Generator() or Generator('cpu')")
        self._seed = _fresh_seed()
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Start the stream over from `seed` (an int >= 0); returns the generator itself."""
        seed = int(seed)
        if seed < 0:
            seed %= 2**64   # PyTorch takes a negative seed modulo 2⁶⁴
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy; returns the new seed."""
        self.manual_seed(_fresh_seed())
        return self._seed

    def initial_seed(self) -> int:
        """The seed the stream started from."""
        return self._seed

    def get_state(self) -> Any:
        """The stream's state (NumPy's bit-generator state), for set_state."""
        return self._rng.bit_generator.state

    def set_state(self, state: Any) -> Generator:
        """Go back to a state that get_state returned."""
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self) -> str:
        """Where it draws: the CPU."""
        return "cpu"

    def __repr__(self) -> str:
        return f"<tinygrad_la.Generator seed={self._seed}>"


def _fresh_seed() -> int:
    """A seed from the operating system's entropy, as PyTorch's default generator starts."""
    return int(np.random.default_rng().integers(0, 2**63))


_default = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the library's default generator; the same seed gives the same numbers. Returns it."""
    return _default.manual_seed(seed)


def initial_seed() -> int:
    """The seed the default generator started from."""
    return _default.initial_seed()


def seed() -> int:
    """Reseed the default generator from fresh entropy; returns the seed."""
    return _default.seed()


def generator(given: Generator | np.random.Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: `given` (a Generator, or a NumPy Generator), else the
    library's default; a compiled step may not draw."""
    if _mode.tracer is not None:
        _mode.tracer.random()
    if given is None:
        return _default._rng
    if isinstance(given, Generator):
        return given._rng
    if isinstance(given, np.random.Generator):
        return given
    raise TypeError(f"generator must be a tinygrad_la.Generator (or a NumPy Generator); got {type(given).__name__}")


def sample_multinomial(weights: np.ndarray, num_samples: int, replacement: bool = False,
                       given: Generator | np.random.Generator | None = None) -> np.ndarray:
    """Indices drawn from rows of non-negative weights (C,) or (N, C): index i with probability
    wᵢ / Σ w, without replacement at most once per row (PyTorch's ``multinomial``)."""
    if weights.ndim not in (1, 2) or weights.dtype.kind not in "fiub":
        # named as dtypes.public names it (core.dtypes comes after this file in the reading order)
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim of numbers; got shape {tuple(weights.shape)} "
                           f"and dtype tinygrad_la.{weights.dtype.name}")
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    if rows.shape[1] == 0:
        raise RuntimeError("multinomial: cannot sample from an empty distribution (the last dimension is 0)")
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be > 0; got {num_samples}")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"({num_samples} > {rows.shape[1]}); pass replacement=True")
    if not replacement and np.any((rows > 0).sum(axis=1) < num_samples):
        raise RuntimeError(f"multinomial: a row has fewer than {num_samples} categories of non-zero "
                           "probability to draw without replacement")
    rng = generator(given)
    p = rows / totals
    if replacement:
        # inverse CDF: the first index whose cumulative probability exceeds a uniform draw
        cdf = np.cumsum(p, axis=1)
        cdf[:, -1] = np.inf   # rounding must never leave a draw past the end
        u = rng.random((rows.shape[0], num_samples))
        drawn = (cdf[:, None, :] > u[:, :, None]).argmax(axis=2)
    else:
        # an exponential race: index i's arrival time is E/pᵢ; the first num_samples arrivals win,
        # which draws without replacement with PyTorch's probabilities (zero weights never arrive)
        with np.errstate(divide="ignore"):
            arrivals = rng.exponential(size=rows.shape) / p
        drawn = np.argsort(arrivals, axis=1, kind="stable")[:, :num_samples]
    indices: np.ndarray = drawn.astype(np.int64)
    return indices.reshape(num_samples) if weights.ndim == 1 else indices
