"""The demos (demos/): each runs in-process, the training ones at full length land on the chapter's numbers.

Short runs check that a demo works end to end (command line, training loop, figures); the full
runs assert what the demos promise: 23.16 and exercise 6 reproduce the chapter to 1e-9, the
learned XOR network is 100% right, the digits network reaches 95% on the test images.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the demos draw with matplotlib (pip install -e '.[demos]')")

from demos import __main__ as run_all  # noqa: E402
from demos import chapter, common, digits, exercise6, figures, graphs, regression, sine, xor  # noqa: E402

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
needs_sklearn = pytest.mark.skipif(not HAS_SKLEARN, reason="the digits demo needs scikit-learn (the demos extra)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def no_progress_bars(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")


def assert_pngs(out: Path, names: list[str]) -> None:
    for name in names:
        path = out / name
        assert path.is_file(), f"{name} was not written"
        data = path.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5_000, f"{name} is not a real PNG ({len(data)} bytes)"


# --- the chapter's worked numbers ----------------------------------------------------------------

def test_chapter_demo_matches_every_printed_value(capsys):
    assert chapter.main([]) == 0
    printed = capsys.readouterr().out
    assert "MISMATCH" not in printed and "chapter: ok" in printed
    assert "Linear(784, 128) parameters = 100480" in printed


# --- 23.16 regression ----------------------------------------------------------------------------

def test_regression_reproduces_the_chapter_to_1e_9(tmp_path):
    report = regression.run(steps=300, seed=7, out=tmp_path)
    assert report.ok, report.failures
    for name, want in regression.CHAPTER.items():
        assert abs(report.values[name] - want) <= 1e-9, (name, report.values[name], want)
    assert report.values["max relative deviation"] <= 1e-12
    assert_pngs(tmp_path, ["regression_loss.png", "regression_fit.png"])


def test_regression_short_run_matches_the_chapters_loop(tmp_path, capsys):
    assert regression.main(["--steps", "5", "--seed", "1", "--out", str(tmp_path)]) == 0
    assert "against the chapter's loop run with the same steps and seed" in capsys.readouterr().out
    w, b, history = regression.chapter_loop(*regression.make_data(1), steps=5, eta=regression.ETA)
    assert len(history) == 5
    assert_pngs(tmp_path, ["regression_loss.png", "regression_fit.png"])


def test_regression_rejects_zero_steps(tmp_path):
    with pytest.raises(SystemExit):
        regression.main(["--steps", "0", "--out", str(tmp_path)])


# --- 23.24 exercise 6: the sine curve ---------------------------------------------------------------

def test_sine_matches_the_chapters_numpy_backprop_step_for_step(tmp_path):
    report = sine.run(steps=1500, seed=3, out=tmp_path)
    assert report.ok, report.failures
    assert abs(report.values["final loss"] - exercise6.FINAL_LOSS) <= 1e-9
    assert report.values["max relative deviation"] <= 1e-12
    assert_pngs(tmp_path, ["sine_loss.png", "sine_fit.png"])


def test_sine_short_run(tmp_path):
    assert sine.main(["--steps", "3", "--seed", "0", "--out", str(tmp_path)]) == 0
    assert_pngs(tmp_path, ["sine_loss.png", "sine_fit.png"])


def test_sine_starts_from_the_chapters_weights():
    X, y, weights = exercise6.make_data_and_weights(3)
    model = exercise6.make_model(weights)
    np.testing.assert_array_equal(model[0].weight.numpy(), weights["W1"])
    np.testing.assert_array_equal(model[0].bias.numpy(), weights["b1"])
    np.testing.assert_array_equal(model[2].weight.numpy(), weights["W2"])
    np.testing.assert_array_equal(model[2].bias.numpy(), weights["b2"])
    assert X.shape == y.shape == (120, 1)
    # another seed draws other data and weights; the size is a parameter (the benchmarks' tiny runs)
    X0, y0, weights0 = exercise6.make_data_and_weights(0, points=16)
    assert X0.shape == y0.shape == (16, 1) and weights0["W1"].shape == (12, 1)
    assert not np.array_equal(weights0["W1"], weights["W1"])


def test_sine_graph_picture_is_the_demos_first_step():
    """demos.graphs draws the same step that `python -m tinygrad_la.viz demos.sine` draws."""
    loss, params, _ = sine.graph_example()
    graph_loss, model, inputs = graphs.sine_step()
    assert sorted(inputs) == ["X", "y (target)"]
    assert loss.item() == graph_loss.item()
    for (name, p), q in zip(params.items(), model.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy(), err_msg=name)


# --- 23.17 XOR --------------------------------------------------------------------------------------

def test_xor_hand_built_table_and_learned_network_is_100_percent(tmp_path):
    report = xor.run(steps=xor.STEPS, seed=0, out=tmp_path)
    assert report.ok, report.failures
    np.testing.assert_array_equal(report.values["table"], xor.CHAPTER_TABLE)
    np.testing.assert_array_equal(report.values["scores"], [0, 1, 1, 0])
    assert report.values["accuracy"] == 1.0
    np.testing.assert_array_equal(report.values["predicted"], [0, 1, 1, 0])
    assert_pngs(tmp_path, ["xor_regions.png", "xor_loss.png"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_xor_learns_from_other_random_starts(seed):
    model, losses = xor.train(seed, xor.STEPS)
    import tinygrad_la as tg
    with tg.no_grad():
        predicted = (model(tg.tensor(xor.X_xor)).numpy()[:, 0] > 0).astype(float)
    np.testing.assert_array_equal(predicted, xor.y_xor)
    assert losses[-1] < losses[0]


def test_xor_short_run_reports_without_failing(tmp_path, capsys):
    assert xor.main(["--steps", "3", "--out", str(tmp_path)]) == 0
    assert "a short run" in capsys.readouterr().out
    assert_pngs(tmp_path, ["xor_regions.png", "xor_loss.png"])


# --- the chapter's other pictures ----------------------------------------------------------------

def test_figures(tmp_path):
    assert figures.main(["--out", str(tmp_path)]) == 0
    assert_pngs(tmp_path, ["activations.png", "relu_boundary.png", "hidden_representation.png"])


# --- digits ---------------------------------------------------------------------------------------

@needs_sklearn
def test_digits_reaches_95_percent(tmp_path):
    report = digits.run(epochs=digits.EPOCHS, seed=0, out=tmp_path)
    assert report.ok, report.failures
    assert report.values["accuracy"] >= 0.95
    assert report.values["parameters"] == 64 * 32 + 32 + 32 * 10 + 10
    assert report.values["cnn_accuracy"] >= 0.95                       # the convolutional network beside it
    assert report.values["cnn_parameters"] == 8 * 1 * 3 * 3 + 8 + 8 * 4 * 4 * 10 + 10
    assert_pngs(tmp_path, ["digits_confusion.png", "digits_examples.png"])


@needs_sklearn
def test_digits_short_run(tmp_path):
    assert digits.main(["--steps", "1", "--out", str(tmp_path)]) == 0
    assert_pngs(tmp_path, ["digits_confusion.png", "digits_examples.png"])


def test_confusion_matrix_counts():
    matrix = digits.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), classes=3)
    np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


# --- graph_example(): what `python -m tinygrad_la.viz demos.NAME` draws --------------------------

@pytest.mark.parametrize("demo", [regression, xor, sine], ids=["regression", "xor", "sine"])
def test_graph_example_is_one_training_step(demo):
    import tinygrad_la as tg
    loss, params, model = demo.graph_example()
    assert isinstance(loss, tg.Tensor) and loss.shape == () and loss.grad_fn is not None
    weights = dict(model.named_parameters())
    assert all(params[name] is p for name, p in weights.items()) and "weight" in " ".join(params)
    for name, p in weights.items():
        assert p.grad is not None and p.grad.shape == p.shape, name
    for name in set(params) - set(weights):   # the inputs, named for the picture, need no gradient
        assert not params[name].requires_grad, name


# --- the runner: python -m demos -------------------------------------------------------------------

def test_run_all_writes_every_figure_and_lists_them(tmp_path, capsys, monkeypatch):
    if not HAS_SKLEARN:
        monkeypatch.setattr(run_all, "DEMOS", [name for name in run_all.DEMOS if name != "demos.digits"])
    graphs_asked = []   # the graph pictures are tests/test_viz.py's business; here: that they are asked for
    monkeypatch.setattr(run_all, "write_graphs", lambda out: graphs_asked.append(out) or True)
    assert run_all.main(["--steps", "2", "--out", str(tmp_path)]) == 0
    assert graphs_asked == [tmp_path]
    printed = capsys.readouterr().out
    assert "all demos ok" in printed and str(tmp_path.resolve()) in printed
    pngs = ["regression_loss.png", "regression_fit.png", "xor_regions.png", "xor_loss.png", "sine_loss.png",
            "sine_fit.png", "activations.png", "relu_boundary.png", "hidden_representation.png"]
    pngs += ["digits_confusion.png", "digits_examples.png"] if HAS_SKLEARN else []
    assert_pngs(tmp_path, pngs)
    for name in pngs:
        assert f"  {name}\n" in printed


def test_run_all_reports_a_failing_demo(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(run_all, "DEMOS", ["demos.chapter"])
    monkeypatch.setattr(chapter, "run", lambda: _failed_report())
    assert run_all.main(["--out", str(tmp_path)]) == 1
    assert "FAILED: demos.chapter" in capsys.readouterr().out


def _failed_report() -> common.Report:
    report = common.Report("chapter")
    report.check("a value", 1.0, 2.0)
    return report


def test_report_check_and_exit_code(capsys):
    report = common.Report("demo")
    assert report.check("x", [1.0, 2.0], [1.0, 2.0 + 1e-13])
    assert not report.check("y", 1.0, 1.1, tol=1e-3)
    assert not report.check("shape", [1.0], [1.0, 1.0])
    assert report.failures == ["y", "shape"] and not report.ok
    assert report.exit_code() == 1
    assert "MISMATCH" in capsys.readouterr().out


@pytest.mark.parametrize("module", [run_all, chapter, regression, sine, xor, figures, digits],
                         ids=lambda m: m.__spec__.name)
def test_help_names_the_command_that_runs_the_demo(module, capsys):
    with pytest.raises(SystemExit) as done:
        module.main(["--help"])
    assert done.value.code == 0
    name = module.__spec__.name.removesuffix(".__main__")
    assert capsys.readouterr().out.startswith(f"usage: python -m {name} ")


def test_sine_bend_markers_are_the_visible_bends_one_marker_each():
    w1 = np.array([1.0, 1.0, 2.0, 1.0, 1.0, 0.0])
    b1 = np.array([0.5, 0.52, -1.0, -1.5, -3.0, 1.0])      # bends at -0.5, -0.52, 0.5, 1.5, 3.0 (outside), none
    w2 = np.array([1.0, 1.0, 1.0, 0.01, 1.0, 1.0])         # the bend at 1.5 barely changes the slope
    np.testing.assert_allclose(sine.visible_bends(w1, b1, w2), [-0.51, 0.5])   # -0.5 and -0.52 drawn as one
