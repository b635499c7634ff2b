"""The README's tour runs as written and prints what the README says it prints."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def tour_blocks() -> tuple[str, str]:
    text = README.read_text()
    section = text.split("## A tour", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    printed = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    return code, printed


def test_tour_prints_what_the_readme_shows():
    code, printed = tour_blocks()
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "README.md (tour)", "exec"), {})
    assert buffer.getvalue().strip() == printed.strip()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_every_python_block_runs_as_written_in_order(tmp_path, monkeypatch):
    import shutil

    import pytest
    if shutil.which("dot") is None:
        pytest.skip("the drawing blocks need graphviz's dot (make test installs it)")
    monkeypatch.chdir(tmp_path)              # the blocks write their pictures into ./out
    (tmp_path / "out").mkdir()
    namespace: dict = {}
    buffer = io.StringIO()
    blocks = python_blocks()
    assert len(blocks) >= 4
    with contextlib.redirect_stdout(buffer):
        for i, block in enumerate(blocks):
            exec(compile(block, f"README.md (python block {i + 1})", "exec"), namespace)
    assert (tmp_path / "out" / "neuron.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "out" / "step.png").read_bytes()[:4] == b"\x89PNG"
    page = (tmp_path / "out" / "xor_walk.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "4 forward steps, 8 backward steps" in buffer.getvalue()   # 4 ops; then they and the 4 weights
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]   # nothing written anywhere else
    first, last = map(float, re.search(r"loss ([0-9.]+) -> ([0-9.]+) after 1500 compiled steps",
                                       buffer.getvalue()).groups())
    assert last < first / 3                  # the compiled loop trained the sine fit
