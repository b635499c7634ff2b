"""The benchmarks' correctness gate, at tiny sizes, so the benchmarks cannot rot silently.

Nothing here is timed (speed is asserted by `make bench`, never by a test). Each workload of
benchmarks/ runs its check: every engine that is installed (tinygrad_la always; PyTorch, MyGrad,
HIPS autograd and micrograd when present) must reproduce the hand NumPy loss and gradients from
the same initial weights. Then the gate itself: a wrong engine must be refused, and the report
and goals must render from a checked (untimed) result.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # `python -m pytest` has it already; bare `pytest` may not
    sys.path.insert(0, str(ROOT))

from benchmarks import workloads  # noqa: E402
from benchmarks import __main__ as runner  # noqa: E402
from benchmarks import sine  # noqa: E402
from demos import exercise6  # noqa: E402
from benchmarks.harness import BASELINE, Engine, WorkloadResult, check, snapshot  # noqa: E402

WORKLOADS = workloads()


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.name for w in WORKLOADS])
def test_every_installed_engine_matches_hand_numpy(workload):
    outcomes = check(workload, workload.make_problem(**workload.tiny))
    assert list(outcomes) == [e.name for e in workload.engines]
    ours = [name for name in outcomes if name.startswith("tinygrad_la")]
    assert ours, f"{workload.name} has no tinygrad_la engine"
    for name, outcome in outcomes.items():
        assert outcome.status in ("ok", "not installed"), f"{workload.name} / {name}: {outcome.status}: {outcome.note}"
        if name.startswith("tinygrad_la"):
            assert outcome.status == "ok", f"{name} must be importable: {outcome.note}"


REPEATABLE = [w for w in WORKLOADS if w.name in ("per_op", "chain")]   # the others go on training


@pytest.mark.parametrize("workload", REPEATABLE, ids=[w.name for w in REPEATABLE])
def test_a_second_run_repeats_the_first(workload):
    """Gradients are reset between runs, so every timed run does the same work as the checked one."""
    problem = workload.make_problem(**workload.tiny)
    for engine in workload.engines[:2]:            # hand NumPy and tinygrad_la
        run = engine.build(problem)
        first, again = snapshot(run()), snapshot(run())
        for key in first:
            np.testing.assert_allclose(again[key], first[key], rtol=1e-12, err_msg=f"{engine.name}: {key}")


def test_the_gate_refuses_a_wrong_engine_and_reports_a_crashing_one():
    def slightly_wrong(p):
        return sine.tinygrad_la_tensors(dataclasses.replace(p, W1=p.W1 * 1.001))   # another init

    def crashing(p):
        def run():
            raise RecursionError("maximum recursion depth exceeded")
        return run

    engines = [sine.ENGINES[0], Engine("wrong", slightly_wrong), Engine("crash", crashing),
               Engine("absent", slightly_wrong, needs=("no_such_module_here",))]
    outcomes = check(sine.WORKLOAD, sine.make_problem(**sine.WORKLOAD.tiny), engines)
    assert outcomes[BASELINE].status == "ok"
    assert outcomes["wrong"].status == "wrong" and outcomes["wrong"].run is None
    assert "losses" in outcomes["wrong"].note
    assert outcomes["crash"].status == "error" and "RecursionError" in outcomes["crash"].note
    assert outcomes["absent"].status == "not installed"


def test_sine_baseline_is_the_chapter_loop():
    """The hand NumPy sine run is exercise 6 itself, on the chapter's data and starting weights.

    (tests/test_chapter.py holds demos.exercise6 to the chapter's own code, bit for bit.)
    """
    problem = sine.make_problem()
    X, y, weights = exercise6.make_data_and_weights()
    np.testing.assert_array_equal(problem.X, X)
    np.testing.assert_array_equal(problem.y, y)
    for name in exercise6.NAMES:
        np.testing.assert_array_equal(getattr(problem, name), weights[name], err_msg=name)
    assert (problem.steps, problem.eta) == (1500, 0.02)
    run = sine.numpy_hand(problem)
    first, again = run(), run()
    assert first["losses"].shape == (1500,)
    assert first["losses"][-1] == exercise6.FINAL_LOSS
    for key in first:   # a timed run starts again from the initial weights
        np.testing.assert_array_equal(again[key], first[key], err_msg=key)


def test_report_and_goals_render_from_an_untimed_result():
    results = []
    for workload in WORKLOADS:
        outcomes = check(workload, workload.make_problem(**workload.tiny))
        for outcome in outcomes.values():
            if outcome.status == "ok":
                outcome.samples = [1e-3 if outcome.engine == BASELINE else 2e-3]
        results.append(WorkloadResult(workload, outcomes, repeats=1))
    rows = runner.goal_rows(results, WORKLOADS)
    assert len(rows) == sum(len(w.goals) for w in WORKLOADS)
    assert all(status in ("met", "MISSED", "not measured") for _, _, status in rows)
    lines = runner.report(results, WORKLOADS, "not pinned (test)", 0.0)
    text = "\n".join(lines)
    assert "| sine" in text and "## Goals" in text and "2.00x" in text
