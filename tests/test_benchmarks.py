"""The benchmarks' correctness gate, at tiny sizes, so the benchmarks cannot rot silently.

Nothing here is timed (speed is asserted by `make bench`, never by a test). Each workload of
benchmarks/ runs its check: every engine that is installed (tinygrad_la always; PyTorch, MyGrad,
HIPS autograd and micrograd when present) must reproduce the hand NumPy loss and gradients from
the same initial weights. Then the gate itself: a wrong engine must be refused, and the report
and goals must render from a checked (untimed) result. The scaling studies likewise: every engine
matches hand NumPy at every (batch, depth) point of the sweep and in the long-chain worker
processes, a wrong chain result is refused, and the tables, the plot and the report render with
every row.
"""
from __future__ import annotations

import dataclasses
import gc
import os
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
from benchmarks.harness import BASELINE, Engine, Outcome, WorkloadResult, check, snapshot  # noqa: E402

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


# --- the collector on and off ---------------------------------------------------------------------

def test_value_mlp_runs_both_engines_with_the_collector_on_and_off():
    from benchmarks import value_mlp
    names = [e.name for e in value_mlp.ENGINES]
    for engine in (value_mlp.TINYGRAD, value_mlp.MICROGRAD):
        assert engine in names and engine + value_mlp.OFF in names
    seen = []

    def build(p):
        return lambda: seen.append(gc.isenabled()) or {"loss": 0.0}

    assert gc.isenabled()
    run = value_mlp.collector_off(build)(None)
    run()
    assert seen == [False] and gc.isenabled(), "off during the step, restored after"

    def failing(p):
        def run():
            raise ValueError("boom")
        return run
    with pytest.raises(ValueError):
        value_mlp.collector_off(failing)(None)()
    assert gc.isenabled(), "restored when the step raises"


def test_value_mlp_goals_read_both_collector_settings():
    from benchmarks import value_mlp
    outcomes = {e.name: Outcome(e.name, "ok", samples=[s]) for e, s in
                zip(value_mlp.ENGINES, [1e-3, 0.1, 0.5, 0.1, 0.12])}
    res = WorkloadResult(value_mlp.WORKLOAD, outcomes, repeats=1)
    on, off = (goal.evaluate(res) for goal in value_mlp.WORKLOAD.goals)
    assert (on.met, off.met) == (True, False)
    assert "5.00x" in on.measured and "collector on" in on.measured
    assert "1.20x" in off.measured and "collector off" in off.measured


# --- the scaling table ------------------------------------------------------------------------------

def test_scaling_engines_match_hand_numpy_at_every_point_and_the_table_has_every_row():
    from benchmarks import scaling
    result = scaling.run_scaling(repeats=1, quick=False, log=lambda message: None, timed=False)
    expected = scaling.points()
    assert [(r.sweep, r.batch, r.depth) for r in result.rows] == expected
    assert {r.batch for r in result.rows if r.sweep == "batch"} == {1, 8, 64, 512, 4096}
    assert {r.depth for r in result.rows if r.sweep == "depth"} == {1, 4, 16, 64}
    for row in result.rows:
        assert list(row.outcomes) == [e.name for e in scaling.ENGINES]
        for name, outcome in row.outcomes.items():
            allowed = ("ok",) if name.startswith(("hand", "tinygrad_la")) else ("ok", "not installed")
            assert outcome.status in allowed, f"N={row.batch} L={row.depth} {name}: {outcome.status} {outcome.note}"
            outcome.samples = [1e-3 if name == BASELINE else 2e-3] if outcome.status == "ok" else []
    lines = scaling.report_lines(result)
    body = [line for line in lines if line.startswith("| batch") or line.startswith("| depth")]
    assert len(body) == len(expected)
    assert all("2.00x" in line for line in body)


def test_scaling_hand_numpy_step_is_the_formula():
    """dW = dZᵀ A, db = 1ᵀ dZ, checked on one layer against central differences of the loss."""
    from benchmarks import scaling
    p = scaling.make_problem(batch=3, depth=1, width=4)
    p.X, p.Y = p.X.astype(np.float64), p.Y.astype(np.float64)
    p.layers = [(W.astype(np.float64), b.astype(np.float64)) for W, b in p.layers]
    got = scaling.numpy_hand(p)()
    W, b = p.layers[0]

    def loss(W, b):
        return (((p.X @ W.T + b) - p.Y) ** 2).mean()

    h = 1e-6
    dW = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += h
        Wm[idx] -= h
        dW[idx] = (loss(Wp, b) - loss(Wm, b)) / (2 * h)
    np.testing.assert_allclose(got["d0"], dW, rtol=1e-6, atol=1e-9)
    assert got["loss"] == pytest.approx(loss(W, b))


# --- the long chains ---------------------------------------------------------------------------------

def test_long_chain_workers_agree_with_hand_numpy():
    """Each engine in its own process, as make bench runs them, at a tiny length."""
    from benchmarks import long_chain
    result = long_chain.run_chains((40, 60), log=lambda message: None)
    for ops in (40, 60):
        for engine in long_chain.ENGINES:
            cell = result.get(engine, ops)
            allowed = ("ok", "not installed") if engine == long_chain.PYTORCH else ("ok",)
            assert cell.status in allowed, f"{engine} at {ops}: {cell.status} {cell.note}"
            if cell.status == "ok":
                assert cell.forward > 0 and cell.backward > 0 and cell.peak is not None
                assert cell.runs == long_chain.runs_for(ops)


def test_long_chain_refuses_a_wrong_engine_and_renders_every_row():
    from benchmarks import long_chain

    def worker(engine, ops, runs):
        x, w = [1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]
        if engine == long_chain.PYTORCH:
            w = [5.0, 6.0, 7.0, 8.001]        # a gradient off by 1e-4
        return {"forward": [0.1 * ops / 1e4], "backward": [0.2 * ops / 1e4], "peak": 100 * ops,
                "peak_exact": True, "loss": 3.0, "x": x, "w": w}

    lengths = (10_000, 100_000, 1_000_000)
    result = long_chain.run_chains(lengths, log=lambda message: None, worker=worker)
    for ops in lengths:
        assert result.get(long_chain.TINYGRAD, ops).status == "ok"
        torch_cell = result.get(long_chain.PYTORCH, ops)
        if torch_cell.status != "not installed":
            assert torch_cell.status == "wrong" and "w:" in torch_cell.note and torch_cell.forward is None
    lines = long_chain.report_lines(result)
    body = [line for line in lines if line.startswith("| 1")]
    assert len(body) == len(lengths) * len(long_chain.ENGINES)
    assert "100 B" in "\n".join(body) and "1.00x" in "\n".join(body)
    rows = long_chain.goal_rows(result)
    # forward 10 µs/op (over 3); backward 1.00x hand NumPy's; PyTorch's bytes were refused, so not compared
    assert [status for _, _, status in rows] == ["MISSED", "met", "not measured"]
    assert "1,000,000 ops" in rows[0][1]


def test_runner_report_has_the_scaling_section_and_how_it_ran(tmp_path):
    from benchmarks import long_chain, plot, scaling
    scaled = scaling.ScalingResult(repeats=1)
    for sweep, batch, depth in scaling.points():
        outcomes = {e.name: Outcome(e.name, "ok", samples=[1e-3 * (i + 1) * depth]) for i, e in
                    enumerate(scaling.ENGINES)}
        scaled.rows.append(scaling.Row(sweep, batch, depth, outcomes))
    chains = long_chain.ChainResult((10_000, 100_000))
    for ops in chains.lengths:
        for i, engine in enumerate(long_chain.ENGINES):
            chains.cells[(engine, ops)] = long_chain.Cell(engine, ops, forward=1e-6 * ops * (i + 1),
                                                          backward=2e-6 * ops * (i + 1), peak=80 * ops * (i + 1),
                                                          runs=1)
    png = plot.draw(scaled, chains, tmp_path / "scaling.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = runner.report([], [], "pinned to 1 thread (test)", 0.0, "make bench", scaled=scaled, chains=chains,
                          plot="scaling.png")
    text = "\n".join(lines)
    for heading in ("## How it ran", "## Scaling", "### Step time against batch size and depth",
                    "### Long chains: time and memory", "## Goals", "## Environment"):
        assert heading in text
    assert "`make bench`" in text and "BLAS kernel:" in text and "![" in text
    for name in runner.OPENBLAS_VARIABLES:   # reported as this process has them (the tests change neither)
        state = "unset" if name not in os.environ else f"set to {os.environ[name]!r}"
        assert f"{name}: {state}" in text
    assert "chain peak bytes per node" in text
