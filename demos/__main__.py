"""Run every demo of chapter 23 in turn, then say where the figures are: `python -m demos --out out`.

--steps and --seed, when given, are handed to every demo (e.g. `python -m demos --steps 3` for a
quick smoke run); otherwise each demo uses the chapter's settings. The computation-graph pictures
come from demos/graphs.py when it is there.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import shutil
import sys
import time
from pathlib import Path

DEMOS = ["demos.chapter", "demos.regression", "demos.xor", "demos.sine", "demos.figures", "demos.digits"]


def run_demo(module_name: str, argv: list[str]) -> bool:
    """Run one demo's main(argv) in this process; True when it succeeded."""
    print(f"\n== python -m {module_name} {' '.join(argv)}", flush=True)
    try:
        return importlib.import_module(module_name).main(argv) == 0
    except SystemExit as stop:   # a demo that cannot run here (say, scikit-learn missing) says why and stops
        if stop.code not in (None, 0):
            print(stop.code if isinstance(stop.code, str) else f"{module_name} stopped with exit code {stop.code}")
        return stop.code in (None, 0)


def write_graphs(out: Path) -> bool:
    """The three computation-graph pictures (demos/graphs.py); silently nothing if that file is absent."""
    if importlib.util.find_spec("demos.graphs") is None:
        return True
    print("\n== computation graphs (demos.graphs)", flush=True)
    missing = [what for what, here in (("the Python package graphviz (pip install -e '.[viz]')",
                                        importlib.util.find_spec("graphviz") is not None),
                                       ("the program dot (the system package graphviz)", shutil.which("dot")))
               if not here]
    if missing:   # as `make graphviz` does on a developer's machine: say so, and go on without them
        print(f"  skipped: drawing graphs needs {' and '.join(missing)}")
        return True
    from demos.graphs import write_chapter_graphs, write_chapter_walks
    try:
        for path in (write_chapter_graphs(out) or []) + (write_chapter_walks(out) or []):
            print(f"  wrote {path}")
    except Exception as error:   # report and go on: the other demos' figures are still worth having
        print(f"  graphs failed: {type(error).__name__}: {error}")
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                        help="folder for the figures (default: out)")
    parser.add_argument("--steps", type=int, metavar="N",
                        help="hand --steps N to every demo (default: each demo's own)")
    parser.add_argument("--seed", type=int, metavar="S",
                        help="hand --seed S to every demo (default: each demo's own)")
    args = parser.parse_args(argv)

    forwarded = ["--out", str(args.out)]
    forwarded += ["--steps", str(args.steps)] if args.steps is not None else []
    forwarded += ["--seed", str(args.seed)] if args.seed is not None else []

    started = time.time()
    results = {name: run_demo(name, forwarded) for name in DEMOS}
    results["demos.graphs"] = write_graphs(args.out)

    figures = sorted(path for pattern in ("*.png", "*.svg") for path in args.out.glob(pattern)
                     if path.stat().st_mtime >= started - 1)
    print(f"\n== {len(figures)} figures in {args.out.resolve()}/:")
    for path in figures:
        print(f"  {path.name}")
    failed = [name for name, ok in results.items() if not ok]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print(f"all demos ok ({time.time() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
