"""What every demo shares: the command line, the progress bar, checks against the chapter, figures.

    args = common.parse_args(__doc__, argv, steps=300, seed=7)   # --steps, --seed, --out
    report = common.Report("regression")
    for step in common.progress(args.steps, "training"): ...
    report.check("w", w, 1.8025337939337942)                     # prints, and remembers a mismatch
    report.save(fig, args.out, "regression_loss.png")            # PNG, then closes the figure
    return report.exit_code()                                    # 0 if everything matched
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

DPI = 120   # the PNGs' resolution: sharp on a screen, small on disk


def parse_args(doc: str | None, argv: list[str] | None, *, steps: int | None, seed: int | None,
               steps_help: str = "training steps", seed_help: str = "random seed") -> argparse.Namespace:
    """The demos' shared options: --steps, --seed, --out (figures go there; made if missing).

    A demo that trains nothing (or draws nothing at random) passes steps=None (seed=None): the
    option is still accepted, so `python -m demos --steps 5` can hand it to every demo.
    """
    lines = (doc or "").strip().splitlines()   # the module docstring: a title line, then the details
    spec = sys._getframe(1).f_globals.get("__spec__")   # the demo calling: usage says how to run it
    parser = argparse.ArgumentParser(prog=f"python -m {spec.name}" if spec is not None else None,
                                     description=lines[0] if lines else None, epilog="\n".join(lines[1:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=steps, metavar="N",
                        help=f"{steps_help} (default: {steps})" if steps is not None
                        else "unused: nothing is trained here")
    parser.add_argument("--seed", type=int, default=seed, metavar="S",
                        help=f"{seed_help} (default: {seed})" if seed is not None
                        else "unused: nothing is random here")
    parser.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                        help="folder for the figures (default: out)")
    args = parser.parse_args(argv)
    if steps is not None and args.steps < 1:
        parser.error(f"--steps must be at least 1; got {args.steps}")
    return args


def progress(steps: int | Iterable[Any], desc: str, unit: str = "step") -> Any:
    """A tqdm progress bar over range(steps) (or any iterable): `for step in bar`, `bar.set_postfix_str(...)`.

    The bar goes to stderr, so the printed summary on stdout stays clean; set TQDM_DISABLE=1 to hide it.
    Without tqdm installed it is a plain loop.
    """
    iterable = range(steps) if isinstance(steps, int) else steps
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainLoop(iterable)
    sys.stdout.flush()   # what was printed before the bar comes before it, even when stdout is a pipe
    return tqdm(iterable, desc=f"  {desc}", unit=unit, dynamic_ncols=True, mininterval=0.2)


class _PlainLoop:
    """The part of tqdm's interface the demos use, doing nothing but looping."""

    def __init__(self, iterable: Iterable[Any]) -> None:
        self.iterable = iterable

    def __iter__(self) -> Iterator[Any]:
        return iter(self.iterable)

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend: figures are written to files, no window opens."""
    try:
        import matplotlib
    except ImportError as error:
        raise SystemExit("the demos draw with matplotlib, which is not installed: "
                         "pip install -e '.[demos]' (or `make demo`, which installs it)") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def max_relative_difference(got: Any, want: Any) -> float:
    """max_i |got_i - want_i| / |want_i|: how far two loss curves are apart, step by step."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want) / np.abs(want)))


class Report:
    """What a demo computed: the values it printed, the figures it wrote, and what did not match."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[str, Any] = {}
        self.figures: list[Path] = []
        self.failures: list[str] = []

    def check(self, name: str, got: Any, want: Any, tol: float = 1e-12) -> bool:
        """Print `name = got`; a mismatch (|got - want| > tol anywhere, or another shape) is remembered."""
        got_a, want_a = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
        ok = got_a.shape == want_a.shape and bool(np.allclose(got_a, want_a, rtol=0.0, atol=tol))
        prefix = f"  {name} = "
        if np.asarray(got).dtype.kind in "iub":   # counts and shapes print as integers
            shown = repr(np.asarray(got).tolist() if isinstance(got, np.ndarray) else got)
        elif got_a.ndim == 0:
            shown = repr(float(got_a))
        else:
            shown = np.array2string(got_a, separator=", ", prefix=prefix, max_line_width=110)
        print(prefix + shown + ("" if ok else f"   MISMATCH: expected {want_a.tolist()} (to {tol:g})"))
        self.values[name] = got_a.item() if got_a.ndim == 0 else got_a
        if not ok:
            self.failures.append(name)
        return ok

    def goal(self, name: str, ok: bool, message: str) -> bool:
        """A target that is not a chapter number (100% on XOR, 95% on digits): print it, remember a miss."""
        print(f"  {message}" + ("" if ok else "   NOT REACHED"))
        if not ok:
            self.failures.append(name)
        return ok

    def save(self, fig: Any, out: Path, filename: str) -> Path:
        """Write `fig` as out/filename (PNG) and close it."""
        plt = pyplot()
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / filename
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        plt.close(fig)
        self.figures.append(path)
        print(f"  wrote {path}")
        return path

    @property
    def ok(self) -> bool:
        return not self.failures

    def exit_code(self) -> int:
        """0 when every check passed; otherwise print what failed and give 1 (the shell's "failed")."""
        if self.failures:
            print(f"{self.name}: FAILED: {', '.join(self.failures)}")
            return 1
        print(f"{self.name}: ok")
        return 0
