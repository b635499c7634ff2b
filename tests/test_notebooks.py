"""The notebooks run from top to bottom (nbclient, a real kernel) and print the chapter's numbers;
the committed files carry no outputs, so what a reader sees is what their own run produces."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbclient (pip install -e '.[dev]')")
nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient (pip install -e '.[dev]')")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ["chapter23.ipynb", "tour.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_carry_no_outputs(name):
    notebook = json.loads((NOTEBOOKS / name).read_text())
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{name}: cell {i} has stale output"


def run(name: str) -> list:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def printed(cells) -> str:
    return "".join(out.text for cell in cells for out in cell.outputs
                   if out.output_type == "stream" and out.name == "stdout")


def displayed(cells, mime: str) -> int:
    return sum(mime in out.get("data", {}) for cell in cells for out in cell.outputs
               if out.output_type in ("display_data", "execute_result"))


@pytest.fixture(scope="module")
def chapter():
    return run("chapter23.ipynb")


def test_the_chapter_notebook_prints_the_chapters_numbers(chapter):
    text = printed(chapter)
    assert "z, h: -1.0 0.0" in text and "dz/dw: [2.0, 3.0]  dz/db: 1.0" in text        # 23.1
    assert "z: [2.0, 3.0, 0.0]  h: [2.0, 3.0, 0.0]" in text                            # 23.6
    assert "y_hat: [5.5]" in text                                                      # 23.9
    assert "[4.0000, 0.5000, 4.5000]" in text                                          # 23.10
    assert "predicted: dog" in text and "0.8612753252908" in text                      # 23.13
    # 23.16: the chapter prints (1.8025337939337942, -0.6310421664257352, 0.2776807055918692)
    w, b, loss = map(float, re.search(r"regression \(w, b, last loss\): \(([^,]+), ([^,]+), ([^)]+)\)", text).groups())
    assert abs(w - 1.8025337939337942) < 1e-12 and abs(b + 0.6310421664257352) < 1e-12
    assert abs(loss - 0.2776807055918692) < 1e-12
    assert "XOR scores: [0.0, 1.0, 1.0, 0.0]" in text                                  # 23.17
    final = float(re.search(r"sine final loss: ([0-9.e-]+)", text).group(1))            # exercise 6
    assert abs(final - 0.12352043669982682) < 1e-12
    assert float(re.search(r"largest difference from the NumPy losses: ([0-9.e-]+)", text).group(1)) < 1e-12


def test_the_chapter_notebook_draws_its_graphs_and_figures_inline(chapter):
    assert displayed(chapter, "image/svg+xml") == 2     # the neuron and the XOR network
    assert displayed(chapter, "image/png") == 3         # the regression's loss and fit, the sine's two panels
    errors = [out for cell in chapter for out in cell.outputs if out.output_type == "error"]
    assert not errors


def test_the_tour_notebook_runs_and_trains():
    cells = run("tour.ipynb")
    text = printed(cells)
    assert "tensor([2., 3.]) tensor(1.)" in text
    assert float(re.search(r"loss after 200 steps: ([0-9.]+)", text).group(1)) < 0.2
    assert displayed(cells, "image/svg+xml") == 1
