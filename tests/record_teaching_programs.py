"""Record PyTorch's answers to the teaching programs (tests/teaching/*.py), so that
tests/test_teaching_programs.py compares tinygrad_la against them on machines without PyTorch.

    .venv/bin/python tests/record_teaching_programs.py

Each program's entry keeps the hash of the script it came from; the tests refuse a stale entry.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# Run as a script, this file's folder is on sys.path but the repository root is not; the tests
# import the runner as tests.teaching, and so does this.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import teaching  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "teaching_programs.json"


def record(path: Path = FIXTURE) -> None:
    import torch
    programs = {}
    for name in teaching.PROGRAMS:
        answer = teaching.run(name, "torch")
        if answer["error"] is not None:
            raise RuntimeError(f"tests/teaching/{name}.py fails under PyTorch itself: {answer['error']}")
        programs[name] = {"sha256": teaching.fingerprint(name), **answer}
    document = {"torch_version": torch.__version__, "programs": programs}
    path.write_text(json.dumps(document, allow_nan=True) + "\n", encoding="utf-8")
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB, {len(programs)} programs, torch {torch.__version__})")


def load(path: Path = FIXTURE) -> dict[str, Any]:
    """program name -> PyTorch's run of it, as teaching.run gives it (plus its script's sha256)."""
    return dict(json.loads(path.read_text(encoding="utf-8"))["programs"])


if __name__ == "__main__":
    record()
