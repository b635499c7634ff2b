"""Record PyTorch's answers to the differential programs (`make fixtures`), so that
tests/test_pytorch_programs.py compares against them on machines without PyTorch."""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

# Run as a script (make fixtures), this file's folder is on sys.path but the repository root is not;
# the tests import the programs as tests.pytorch_programs, and so does this.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import pytorch_programs as programs  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "pytorch_programs.npz"
SEEDS = range(300)   # the programs `make test` runs


def record(path: Path = FIXTURE) -> None:
    import torch
    warnings.filterwarnings("ignore")
    arrays: dict[str, np.ndarray] = {}
    for seed in SEEDS:
        answer = programs.run(seed, torch)
        meta = dict(answer.pop("meta"), fingerprint=programs.fingerprint(seed))
        arrays[f"{seed}|meta"] = np.array(json.dumps(meta))
        for key, value in answer.items():
            arrays[f"{seed}|{key}"] = value
    arrays["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB, {len(SEEDS)} programs, torch {torch.__version__})")


def load(path: Path = FIXTURE) -> dict[int, dict]:
    """seed -> PyTorch's answer, as programs.run gives it."""
    answers: dict[int, dict] = {}
    with np.load(path) as data:
        for key in data.files:
            if "|" not in key:
                continue
            seed, name = key.split("|", 1)
            answer = answers.setdefault(int(seed), {})
            answer[name] = json.loads(str(data[key])) if name == "meta" else data[key]
    return answers


if __name__ == "__main__":
    record()
