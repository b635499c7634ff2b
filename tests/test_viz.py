"""Tests for tinygrad_la.viz: pictures of the graph, rendered by the real `dot` and read back as XML.

A missing `dot` (or Python graphviz package) skips the rendering tests on a developer's machine
and fails them in CI (CI=true), where `make test` installs the system package first.
"""
from __future__ import annotations

import gc
import math
import re
import shutil
import subprocess
import sys
import weakref
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import nn, viz
from tests.helpers import need
from tinygrad_la.value import Value

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"




@pytest.fixture(autouse=True)
def graphviz_package() -> None:
    try:
        import graphviz  # noqa: F401
    except ImportError:
        need("the Python package graphviz (pip install 'tinygrad_la[viz]')", False)


@pytest.fixture
def dot() -> None:
    need("graphviz's `dot` program (apt-get install graphviz)", shutil.which("dot") is not None)


# --- reading pictures back --------------------------------------------------------------------

def svg_of(graph) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Render with dot and parse: ({node id: its text}, [(tail, head, edge label)])."""
    tree = ET.fromstring(graph.pipe(format="svg"))
    nodes, edges = {}, []
    for g in tree.iter(SVG + "g"):
        kind = g.get("class")
        if kind not in ("node", "edge"):
            continue
        title = g.find(SVG + "title").text
        text = " ".join(" ".join(t.text or "" for t in g.iter(SVG + "text")).split())
        if kind == "node":
            nodes[title] = text
        else:
            tail, head = title.split("->")
            edges.append((tail, head, text))
    return nodes, edges


def find(nodes: dict[str, str], start: str) -> str:
    """The id of the one node whose text starts with `start`."""
    found = [nid for nid, text in nodes.items() if text.startswith(start)]
    assert len(found) == 1, (start, found, nodes)
    return found[0]


def clusters(source: str) -> dict[str, str]:
    """{node id: innermost cluster} from the DOT source (nodes outside clusters are left out)."""
    stack, owner = [], {}
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("subgraph "):
            stack.append(line.split()[1])
        elif line == "}":
            if stack:
                stack.pop()
        elif stack and "->" not in line:
            match = re.match(r"(\w+) \[", line)
            if match:
                owner[match.group(1)] = stack[-1]
    return owner


def g4(x: float) -> str:
    """A number as the pictures write it (4 significant digits)."""
    return viz._num(x)


# --- graphs used below -------------------------------------------------------------------------

def neuron():
    """The chapter's neuron (23.1) in Values: h = tanh(x1 w1 + x2 w2 + b)."""
    x1, x2, w1, w2, b = (Value(v, label=n) for v, n in
                         ((2.0, "x1"), (3.0, "x2"), (0.5, "w1"), (-1.0, "w2"), (1.0, "b")))
    z = x1 * w1 + x2 * w2 + b
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    return h, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, z=z)


def mlp_step(record: bool = True):
    """One training step's graph: Linear(1, 12), ReLU, Linear(12, 1), MSE on 8 points."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 12), nn.ReLU(), nn.Linear(12, 1))
    X = tg.linspace(-1, 1, 8).reshape(8, 1)
    y = X * 2.0
    if record:
        with viz.record_modules(model):
            loss = nn.functional.mse_loss(model(X), y)
    else:
        loss = nn.functional.mse_loss(model(X), y)
    return loss, model


def chain(n: int):
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = y.sin()
    return x, y


# --- Values: the chapter's neuron ----------------------------------------------------------------

def test_value_neuron_svg_shows_data_grads_and_labels(dot):
    h, v = neuron()
    h.backward()
    nodes, edges = svg_of(viz.draw_graph(h))
    slope = 1 - math.tanh(-1.0) ** 2
    # every number of the neuron in one format, four decimals (as micrograd's pictures)
    assert nodes[find(nodes, "x1 ")] == f"x1 data 2.0000 grad {0.5 * slope:.4f}"
    assert nodes[find(nodes, "w1 ")] == f"w1 data 0.5000 grad {2.0 * slope:.4f}"
    assert nodes[find(nodes, "w2 ")] == f"w2 data -1.0000 grad {3.0 * slope:.4f}"
    assert nodes[find(nodes, "z ")] == f"z data -1.0000 grad {slope:.4f}"
    assert nodes[find(nodes, "h ")] == f"h data {math.tanh(-1.0):.4f} grad 1.0000"
    ops = sorted(text for nid, text in nodes.items() if nid.endswith("_op"))
    assert ops == ["*", "*", "+", "+", "tanh"]
    # x1 and w1 go into the same *, whose result is x1*w1 = 1.0; scalars need no edge labels
    into = {head for tail, head, _ in edges if tail == find(nodes, "x1 ")}
    assert into == {head for tail, head, _ in edges if tail == find(nodes, "w1 ")}
    assert all(label == "" for _, _, label in edges)
    assert v["w1"].grad == pytest.approx(2.0 * slope)


def test_value_graph_before_backward_says_not_computed_yet():
    h, _ = neuron()
    source = viz.draw_graph(h).source
    assert source.count("grad: not computed yet") == 10   # 5 leaves, 2 products, 2 sums, h
    assert "grad 0.0" not in source
    h.backward()
    assert "not computed yet" not in viz.draw_graph(h).source


def test_value_root_marked_and_constants_drawn():
    a = Value(2.0, label="a")
    out = 3 * a + 1            # the numbers become constant Values
    source = viz.draw_graph(out, show_grad=False).source
    assert source.count('BORDER="3"') == 1             # only the output has the thick border
    assert "data 3.0" in source and "data 1.0" in source
    assert "grad" not in source


def test_value_create_graph_grads_are_values():
    x = Value(3.0, label="x")
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    source = viz.draw_graph(y).source
    assert "grad 27.0" in source                      # dy/dx = 3x², shown as its number
    second = viz.draw_graph(x.grad).source           # the graph of the gradient itself
    assert "data 27.0" in second


# --- tensors: an MLP training step --------------------------------------------------------------

def test_mlp_step_svg_names_shapes_grads_and_modules(dot):
    loss, model = mlp_step()
    loss.backward(retain_graph=True)
    params = dict(model.named_parameters())
    graph = viz.draw_graph(loss, module=model, title="one step")
    nodes, edges = svg_of(graph)
    w0 = find(nodes, "0.weight (12, 1)")
    assert nodes[w0] == f"0.weight (12, 1) float64 grad norm {g4(np.linalg.norm(params['0.weight'].grad.numpy()))}"
    b2 = params["2.bias"]
    assert nodes[find(nodes, "2.bias (1,)")] == (f"2.bias (1,) float64 data [{g4(b2.item())}] "
                                                 f"grad [{g4(b2.grad.item())}]")
    assert find(nodes, "2.weight (1, 12)")
    ops = sorted(text for nid, text in nodes.items() if nid.endswith("_op"))
    assert ops == ["Addmm", "Addmm", "MSELoss", "Relu"]   # the loss by its nn name
    labels = [label for _, _, label in edges]
    for shape in ("(8, 1)", "(12, 1)", "(12,)", "(8, 12)", "(1, 12)", "(1,)"):
        assert shape in labels
    # the root: the loss, marked and with its value
    root = find(nodes, "scalar () float64")
    assert nodes[root] == f"scalar () float64 data {g4(loss.item())}"
    assert 'penwidth=3' in graph.source
    # X and y (no grad) are drawn as inputs, with their shapes
    assert sorted(t for t in nodes.values() if t.startswith("input")) == ["input (8, 1) float64"] * 2
    # one cluster per module, each op in the innermost module that made it
    owner = clusters(graph.source)
    relu = next(nid for nid, text in nodes.items() if text == "Relu")
    assert owner[relu] == "cluster_1"
    assert owner[w0] == "cluster_0"
    assert find(nodes, "MSELoss") not in owner
    assert "0: Linear(1 → 12)" in graph.source and "label=Sequential" in graph.source


def test_modules_without_record_group_ops_with_their_weights():
    loss, model = mlp_step(record=False)
    graph = viz.draw_graph(loss, module=model)
    owner = clusters(graph.source)
    assert sorted(set(owner.values())) == ["cluster_0", "cluster_2"]   # ReLU has no weights
    ops = dict(re.findall(r"(\w+_op) \[label=(\w+)", graph.source))
    assert sorted(ops[nid] for nid in owner if nid in ops) == ["Addmm", "Addmm"]
    assert "label=Sequential" not in graph.source
    # a record of an earlier forward pass does not stand in the way
    with viz.record_modules(model):
        model(tg.ones(3, 1))
    assert clusters(viz.draw_graph(loss, module=model).source) == owner


def test_unnamed_leaves_and_inputs():
    w = tg.tensor([0.5, -1.0], requires_grad=True)
    x = tg.tensor([2.0, 3.0])
    h = (w @ x + 1.0).relu()
    source = viz.draw_graph(h).source
    assert "<B>leaf</B> (2,)" in source and "data [0.5, -1.0]" in source
    assert "<B>input</B> (2,)" in source and "data [2.0, 3.0]" in source
    assert "grad: not computed yet" in source


def test_show_data_and_shapes_switches():
    W = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    out = (W * 2).sum()
    assert "data" not in viz.draw_graph(out, show_data=False).source.replace("data 132.0", "")
    assert "data [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]" not in \
        viz.draw_graph(out).source                     # 12 elements: more than 6, not shown
    shown = viz.draw_graph(out, show_data=True).source
    assert "[0.0, 1.0, 2.0, 3.0]," in shown            # a small matrix, one row per line
    assert 'label="(3, 4)"' in viz.draw_graph(out).source
    assert 'label="(3, 4)"' not in viz.draw_graph(out, show_shapes=False).source
    assert "rankdir=TB" in viz.draw_graph(out, rankdir="TB").source


def test_tensor_draw_and_several_roots():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    p, q = a * 2, a.exp()
    assert "Mul" in p.draw().source
    source = viz.draw_graph([p, q]).source
    assert "Mul" in source and "Exp" in source
    assert source.count("penwidth=3") == 2               # both roots marked
    assert source.count("<B>leaf</B> (2,)") == 1         # the shared leaf once
    with pytest.raises(TypeError, match="Tensor or a Value"):
        viz.draw_graph(np.zeros(2))


# --- big graphs --------------------------------------------------------------------------------

def test_2000_node_graph_renders_and_cuts(dot):
    x, y = chain(1999)                    # 1999 ops and a leaf: 2000 nodes
    nodes, edges = svg_of(viz.draw_graph(y, max_nodes=None))
    assert len(nodes) == 2 * 1999 + 1
    assert sum(text == "Sin" for text in nodes.values()) == 1999
    assert sum(label == "(2,)" for _, _, label in edges) == 1999
    nodes, edges = svg_of(viz.draw_graph(y))              # max_nodes=500
    assert sum(text == "Sin" for text in nodes.values()) == 500
    assert nodes["more"] == "… 1,500 more nodes (raise max_nodes to draw them)"
    assert [(tail, label) for tail, head, label in edges if tail == "more"] == [("more", "(2,)")]


def test_100000_node_chain_draws_without_recursion():
    x, y = chain(100_000)
    graph = viz.draw_graph(y, max_nodes=50)
    assert graph.source.count('label=Sin') == 50
    assert "… 99,951 more nodes" in graph.source
    assert "leaf" not in graph.source                     # the leaf is far beyond the cut


# --- drawing only reads -------------------------------------------------------------------------

def test_drawing_never_runs_backward_nor_changes_the_graph():
    loss, model = mlp_step()
    nodes = []
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(p for p in node._parents if p is not None and not isinstance(p, tg.Tensor))
    before = [(n._saved, n._extra, n._parents) for n in nodes]
    graph = viz.draw_graph(loss, module=model, show_data=True)
    assert all(p.grad is None for p in model.parameters())
    after = [(n._saved, n._extra, n._parents) for n in nodes]
    assert all(a[0] is b[0] and a[1] is b[1] and a[2] is b[2] for a, b in zip(before, after))
    # and it keeps nothing alive: the picture is strings only
    refs = [weakref.ref(n) for n in nodes]
    del loss, nodes, before, after, node, stack
    gc.collect()
    assert all(r() is None for r in refs)
    assert "Linear" in graph.source
    # backward afterwards gives the same gradients as without the picture
    loss, model = mlp_step()
    viz.draw_graph(loss)
    loss.backward()
    drawn = [p.grad.numpy().copy() for p in model.parameters()]
    loss, model = mlp_step()
    loss.backward()
    assert all(np.array_equal(a, p.grad.numpy()) for a, p in zip(drawn, model.parameters()))


def test_freed_graph_is_drawn_with_dashed_ops():
    loss, model = mlp_step()
    loss.backward()                                     # frees what the ops saved
    graph = viz.draw_graph(loss, params=dict(model.named_parameters()))
    assert "filled,dashed" in graph.source and "retain_graph=True" in graph.source
    assert "not computed yet" not in graph.source     # the leaves have their grads
    assert "<B>input</B>" not in graph.source        # the freed ops no longer hold X and y
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()                                 # drawing did not bring anything back


def test_retained_graph_and_retain_grad():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    out = h.relu().sum()
    assert "grad: not computed yet" in viz.draw_graph(out).source   # h's and x's
    out.backward(retain_graph=True)
    source = viz.draw_graph(out).source
    assert "dashed" not in source
    assert "data [3.0, -6.0]" in source and "grad [1.0, 0.0]" in source   # h, retained
    assert "grad [3.0, 0.0]" in source                                    # x
    del h
    gc.collect()
    source = viz.draw_graph(out).source               # h is gone: its shape stays, numbers go
    assert "data [3.0, -6.0]" not in source and "(2,) float64" in source


def test_create_graph_grads_and_the_graph_of_a_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    assert x.grad.grad_fn is not None
    assert "grad [3.0, 12.0]" in viz.draw_graph(y).source
    second = viz.draw_graph(x.grad).source            # the recorded backward pass
    assert "Pow" in second and "<B>leaf</B> (2,)" in second


# --- without dot, without graphviz ----------------------------------------------------------------

def test_source_without_dot_and_a_helpful_render_error(monkeypatch, tmp_path):
    import graphviz
    monkeypatch.setenv("PATH", str(tmp_path))          # an empty directory: no `dot` anywhere
    h, _ = neuron()
    h.backward()
    graph = viz.draw_graph(h, title="neuron")              # building needs no `dot`
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source.startswith("digraph computation {") and "rankdir=LR" in graph.source
    assert "<B>x1</B>" in graph.source and "tanh" in graph.source
    for render in (lambda: graph.render(tmp_path / "g", format="svg"), lambda: graph.pipe(format="png"),
                   graph._repr_image_svg_xml):
        with pytest.raises(graphviz.ExecutableNotFound) as error:
            render()
        message = str(error.value)
        for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz", ".source"):
            assert hint in message


def test_missing_python_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)   # import graphviz now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_la\[viz\]'"):
        viz.draw_graph(tg.tensor(1.0))


def test_render_to_files_and_jupyter(dot, tmp_path):
    loss, _ = mlp_step()
    graph = loss.draw()
    path = graph.render(tmp_path / "step", format="svg", cleanup=True)
    assert Path(path).read_text().lstrip().startswith("<?xml")
    assert graph.render(tmp_path / "step", format="png", cleanup=True).endswith(".png")
    assert "image/svg+xml" in graph._repr_mimebundle_()


# --- command line, the chapter's pictures, the README -----------------------------------------------

def test_cli_draws_a_modules_graph_example(dot, tmp_path, capsys):
    out = tmp_path / "graph.svg"
    assert viz.main(["tests.graph_example_module", "--out", str(out)]) == 0
    nodes = svg_of_file(out)
    assert any(t.startswith("0.weight (3, 2)") for t in nodes) and "Tanh" in nodes
    assert "graph_example_module: graph_example()" in out.read_text()
    # as a real `python -m`, with a file path, and a module without graph_example()
    result = subprocess.run([sys.executable, "-m", "tinygrad_la.viz", str(ROOT / "tests/graph_example_module.py"),
                             "--out", str(tmp_path / "g.png")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(SystemExit):
        viz.main(["json", "--out", str(tmp_path / "x.svg")])
    assert "has no graph_example()" in capsys.readouterr().err


def svg_of_file(path: Path) -> list[str]:
    tree = ET.parse(path)
    return [" ".join(" ".join(t.text or "" for t in g.iter(SVG + "text")).split())
            for g in tree.iter(SVG + "g") if g.get("class") == "node"]


def test_chapter_graphs(dot, tmp_path):
    from demos.graphs import write_chapter_graphs
    paths = write_chapter_graphs(tmp_path)
    assert [p.name for p in paths] == ["neuron_graph.svg", "xor_graph.svg", "sine_step_graph.svg"]
    neuron_nodes = svg_of_file(paths[0])
    assert any(t.startswith("w1 data 0.5000 grad") for t in neuron_nodes)
    xor_nodes = svg_of_file(paths[1])
    assert "(4, 1) float64 data [[0.0], [1.0], [1.0], [0.0]]" in xor_nodes   # ŷ: XOR itself
    sine_nodes = svg_of_file(paths[2])
    assert any(t.startswith("0.weight (12, 1) float64 grad norm") for t in sine_nodes)


def test_readme_picture_code_draws_the_committed_docs_neuron_svg(dot, tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text.split("## Pictures of the graph", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md (pictures)", "exec"), {})
    made = tmp_path / "out" / "neuron.svg"        # the snippet writes into out/, never over docs/
    assert sorted(svg_of_file(made)) == sorted(svg_of_file(ROOT / "docs" / "neuron.svg"))
    assert "![" in section and "docs/neuron.svg" in section


def test_the_picture_is_a_plain_class_with_a_readable_repr_and_pickles():
    import pickle
    h, _ = neuron()
    graph = viz.draw_graph(h)
    assert type(graph) is viz.GraphPicture and type(graph).__qualname__ == "GraphPicture"
    text = repr(graph)
    assert text.startswith("<GraphPicture 'computation': ") and "nodes" in text and "edges" in text
    assert "<locals>" not in text and " at 0x" not in text
    edges = graph.source.count(" -> ")
    assert f"{edges} edges" in text
    again = pickle.loads(pickle.dumps(graph))
    assert type(again) is viz.GraphPicture and again.source == graph.source


@pytest.mark.parametrize("target", ["no_such_module_here", "missing/file.py"])
def test_a_target_that_cannot_be_loaded_is_one_line_not_a_traceback(target, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        viz.main([target, "--out", str(tmp_path / "x.svg")])
    message = str(done.value.code)
    assert "\n" not in message and f"cannot load {target!r}" in message
    assert "demos.sine" in message                    # says what to give instead
    assert not (tmp_path / "x.svg").exists()


def test_the_console_script_is_declared_for_the_cli():
    import importlib.metadata
    scripts = {e.name: e.value for e in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts.get("tinygrad-la-viz") == "tinygrad_la.viz:main"


def test_params_name_inputs_and_intermediate_results_without_hooks():
    X = tg.tensor([[1.0, -2.0], [3.0, 4.0]])
    target = tg.tensor([[1.0], [0.0]])
    layer = tg.nn.Linear(2, 1)
    Z = layer(X)
    H = Z.relu()
    loss = tg.nn.functional.mse_loss(H, target)
    loss.backward(retain_graph=True)
    plain = viz.draw_graph(loss).source
    assert "<B>input</B> (2, 2)" in plain and "<B>H</B>" not in plain
    source = viz.draw_graph(loss, params={**dict(layer.named_parameters()), "X": X, "target y": target,
                                           "Z": Z, "H": H}, show_data=True).source
    assert "<B>X</B> (2, 2)" in source and "<B>target y</B> (2, 1)" in source   # saved inputs, named
    assert "<B>input</B>" not in source
    assert "<B>Z</B> (2, 1)" in source and "<B>H</B> (2, 1)" in source            # intermediates, named
    h_label = re.search(r"<B>H</B> \(2, 1\).*?</TABLE>", source, re.S).group(0)
    assert "data" in h_label and viz._num(H.detach().numpy()[1, 0]) in h_label   # its numbers, no hook needed
    assert "label=MSELoss" in source                                               # the loss by its nn name


# --- explain: the step-through page -------------------------------------------------------------

def test_explain_page_is_self_contained_and_holds_every_step(dot, tmp_path: Path) -> None:
    import html as html_lib
    import json
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    w = tg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w + x).sum()
    stepper = viz.explain(y, params={"x": x, "w": w}, title="two paths <meet> %SVG%")
    assert repr(stepper) == "<Stepper: 3 forward and 5 backward steps; .save(path) writes the page>"
    page = stepper.save(tmp_path / "deep" / "walk.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    assert "two paths &lt;meet&gt; %SVG%" in page and page.count("<svg") == 1
    assert not re.search(r"""(src|href)=["']?https?:""", page)   # nothing fetched from the network
    data = json.loads(re.search(r"const DATA = (.*);\n", page).group(1).replace("<\\/", "</"))
    assert [s["phase"] for s in data["steps"]] == ["forward"] * 3 + ["backward"] * 5
    ids = {n["name"]: n["id"] for n in data["nodes"]}
    nodes, _ = svg_of(viz.draw_graph(y, params={"x": x, "w": w}, max_nodes=None))
    assert ids["x"] in nodes and ids["Mul"] + "_op" in nodes   # the steps point at the picture's nodes
    assert x.grad is None and w.grad is None
    frame = stepper._repr_html_()   # Jupyter: the page in a sandboxed frame
    assert frame.startswith('<iframe srcdoc="') and html_lib.unescape(frame.split('"')[1]) == stepper.html()
