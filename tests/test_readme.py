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
