"""Random programs (tests/pytorch_programs.py) compared with PyTorch: values, dtypes and
requires_grad of every result, every .grad after backward (hooks and retain_grad included), first-
and second-order autograd.grad, and where a program raises. Live where PyTorch is installed, and
against its recorded answers (tests/fixtures/pytorch_programs.npz, `make fixtures`) everywhere."""
import warnings

import numpy as np
import pytest

import tinygrad_la as tg

from tests import pytorch_programs as programs
from tests import record_pytorch_programs as recording

RECORDED = recording.load()


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("seed", list(recording.SEEDS))
def test_program_matches_recorded_pytorch(seed):
    recorded = RECORDED[seed]
    assert recorded["meta"]["fingerprint"] == programs.fingerprint(seed), (
        "the program generator changed since the answers were recorded: run `make fixtures`")
    problems = programs.compare(seed, programs.run(seed, tg), recorded)
    assert not problems, programs.report(seed, problems)


@pytest.mark.torch
@pytest.mark.parametrize("block", range(3))
def test_recorded_answers_are_pytorchs_own(block):
    torch = pytest.importorskip("torch")
    for seed in list(recording.SEEDS)[block::3][:20]:
        live = programs.run(seed, torch)
        problems = programs.compare(seed, live, RECORDED[seed])
        assert not problems, f"the fixture is stale for program {seed}: run `make fixtures`\n{problems}"


@pytest.mark.torch
@pytest.mark.fuzz
@pytest.mark.parametrize("block", range(20))
def test_more_programs_match_live_pytorch(block):
    torch = pytest.importorskip("torch")
    failures = []
    for seed in range(1000 + 250 * block, 1000 + 250 * (block + 1)):
        problems = programs.compare(seed, programs.run(seed, tg), programs.run(seed, torch))
        if problems:
            failures.append(programs.report(seed, problems))
    assert not failures, "\n\n".join(failures[:3]) + f"\n\n({len(failures)} programs differ)"


def test_the_programs_cover_the_op_table():
    sources = "\n".join(programs.generate(seed)[0] for seed in recording.SEEDS)
    for needle in ["[0, :, [0, -1]]", ".var(", "correction=0", "((), keepdim", ".add_(", "[0] =", ".T[0] +=",
                   "register_hook", "retain_grad", "T.matmul", "clamp(min=x", ".expand(", "T.tensor(A['M",
                   "view(-1)[::2]", "float32" if False else "T.where"]:
        assert needle in sources, needle
    kinds = {programs.generate(seed)[1]["x0"].dtype for seed in recording.SEEDS}
    assert kinds == {np.dtype(np.float32), np.dtype(np.float64)}
