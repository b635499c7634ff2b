"""viz.explain's page in a real browser: Debian's chromium, driven by Playwright.

The page is opened from file://, stepped to its end with the "next" button, and its side panel is
read back: every backward step's gradient and the leaves' totals must be the numbers backward()
puts in .grad. The page must log no console error and ask for nothing over the network. A
screenshot goes to out/. Without playwright or chromium the test skips, saying which is missing;
in CI (CI=true, where `make test` installs both) a missing one is an error.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from demos.graphs import neuron, xor_loss
from tests.helpers import need, values_of
from tinygrad_la import viz
from tinygrad_la.walkthrough import summary

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"




@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    need("the Python package playwright (pip install -e '.[dev]')", sync_playwright is not None)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    need("chromium (apt-get install chromium)", chromium is not None)
    need("graphviz's dot (apt-get install graphviz)", shutil.which("dot") is not None)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


def _step_through(browser, path: Path, shot: str) -> tuple[list[dict], list[str], list[str]]:
    """Open the page, press next to the end, read the panel at every step; (panels, errors, requests)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None)
    page.goto(path.resolve().as_uri())
    total = int(page.get_attribute("#slider", "max"))
    panels = []
    for k in range(1, total + 1):
        if k > 1:
            page.click("#next")
        panels.append({
            "counter": page.inner_text("#counter"),
            "op": page.inner_text("#op"),
            "grad": page.inner_text("#grad") if page.query_selector("#grad") else None,
            "current": page.eval_on_selector_all("g.node.current > title", "els => els.map(e => e.textContent)"),
            "leaves": page.eval_on_selector_all("#leaves td[data-leaf]", "els => els.map(e => e.textContent)"),
        })
    page.click("#next")   # past the end: stays on the last step
    assert page.inner_text("#counter") == f"step {total} of {total}"
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#counter") == f"step {total - 1} of {total}"
    OUT.mkdir(exist_ok=True)
    page.keyboard.press("ArrowRight")
    page.screenshot(path=str(OUT / shot), full_page=True)
    page.close()
    return panels, errors, requests


def test_the_neuron_page_steps_to_the_grads_backward_gives(browser, tmp_path: Path) -> None:
    h = neuron()
    stepper = viz.explain(h)
    path = stepper.save(tmp_path / "neuron.html")
    panels, errors, requests = _step_through(browser, path, "explain_neuron.png")
    assert errors == [] and requests == []
    n = len(stepper)
    assert [p["counter"] for p in panels] == [f"step {k} of {n}" for k in range(1, n + 1)]
    steps = stepper.steps
    backward = panels[len(steps.forward):]
    for panel, step in zip(backward, steps.backward):   # the highlighted node is the step's node
        assert steps.ids[step.node] in panel["current"]
        assert panel["grad"] == summary(step.grad_in)
    h.backward()
    leaves = {v.label: v.grad for v in values_of(h) if not v._parents}
    # the last panel's table: every leaf's total, in the page's node order
    shown = dict(zip([steps.nodes[i] for i, kind in enumerate(steps.kinds) if kind == "leaf"], panels[-1]["leaves"]))
    assert shown == {name: summary(grad) for name, grad in leaves.items()}
    assert panels[0]["leaves"] == ["none yet"] * 5


def test_the_xor_page_shows_the_model_gradients(browser, tmp_path: Path) -> None:
    loss, model, names = xor_loss()
    stepper = viz.explain(loss, params=names, module=model)
    path = stepper.save(tmp_path / "xor.html")
    panels, errors, requests = _step_through(browser, path, "explain_xor.png")
    assert errors == [] and requests == []
    assert panels[0]["op"] and panels[-1]["counter"].endswith(f"of {len(stepper)}")
    loss.backward()
    steps = stepper.steps
    shown = dict(zip([steps.nodes[i] for i, kind in enumerate(steps.kinds) if kind == "leaf"], panels[-1]["leaves"]))
    for name, p in model.named_parameters():
        assert shown[name] == summary(p.grad.numpy()), name
    assert np.abs(model[2].weight.grad.numpy()).sum() > 0



def test_a_big_graph_is_stepped_a_module_at_a_time(browser, tmp_path: Path) -> None:
    import tinygrad_la as tg
    from tinygrad_la import nn
    tg.manual_seed(0)
    blocks = [nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(6)]   # a block: two modules, 2 ops, 2 weights
    model = nn.Sequential(*blocks, nn.Linear(4, 1))
    x = tg.randn(8, 4)
    with viz.record_modules(model):
        loss = model(x).pow(2).mean()
    every = viz.explain(loss, module=model, max_steps=10_000)
    grouped = viz.explain(loss, module=model, max_steps=20)
    assert len(grouped) < len(every) == len(every.steps)
    assert "shown in" in repr(grouped)
    groups = [p for p in grouped.pages if "members" in p]
    assert groups and all(len(p["members"]) > 1 for p in groups)
    # every step of the walk is still there, inside its group
    assert sum(len(p.get("members", [p])) for p in grouped.pages) == len(every.steps)
    panels, errors, requests = _step_through(browser, grouped.save(tmp_path / "deep.html"), "explain_grouped.png")
    assert errors == [] and requests == []
    assert len(panels) == len(grouped)
    assert any(len(p["current"]) > 2 for p in panels)   # a group lights up all its ops
    loss.backward()
    steps = grouped.steps
    shown = dict(zip([steps.nodes[i] for i, kind in enumerate(steps.kinds) if kind == "leaf"], panels[-1]["leaves"]))
    for name, p in model.named_parameters():
        assert shown[name] == summary(p.grad.numpy()), name
