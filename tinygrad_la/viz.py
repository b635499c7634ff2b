"""Pictures of the computation graph: what backward() will walk, drawn with graphviz.

    h = (x1*w1 + x2*w2 + b).tanh(); h.backward()
    draw_graph(h).render("neuron", format="svg", cleanup=True)     # or h.draw() / loss.draw()

The picture is the chapter's machine (23.1, 23.8, 23.10) laid out from inputs to output: a box per
tensor (its shape and dtype; its numbers when they are few), an oval per op (`MatMul`, `ReLU`, ...),
edges labelled with the shape that flows along them. Weights that require grad are blue and named
from `params` ("0.weight (12, 1)"); inputs that need no gradient are grey; the output has a thick
orange border. After backward() the leaves show their `.grad`; before, they say it is not computed yet.
A scalar `Value` graph is drawn micrograd-style: each number with its data and grad, ops as circles.

The walk is breadth-first from the output with an explicit queue, each node once, so it stops after
`max_nodes` however deep the graph is. Drawing only reads the graph: it never runs backward, never
touches `.grad`, and the returned Digraph holds strings only (no references to tensors or nodes).

    python -m tinygrad_la.viz demos.sine --out graph.svg

draws `graph_example()` of any module that has one (see `main`). Needs `pip install tinygrad_la[viz]`
(the Python package) and, to render, the system package graphviz (the `dot` program).
"""
from __future__ import annotations

import argparse
import html
import importlib
import json
import importlib.util
import re
import sys
import weakref
from collections import deque
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .core.function import _FREED_VALUES, Function
from .tensor import Tensor
from .value import Value
from .walkthrough import Walkthrough, describe, op_label, walkthrough

__all__ = ["draw_graph", "record_modules", "explain", "Stepper", "main"]

# colours: weights blue, data grey, ops pale yellow, the output outlined in orange, gradients red
PARAM_FILL, INPUT_FILL, TENSOR_FILL, OP_FILL = "#dbe9ff", "#eeeeee", "#ffffff", "#fff4c2"
ROOT_COLOR, GRAD_COLOR, NOTE_COLOR = "#d9480f", "#b3261e", "#666666"
SMALL = 6             # show_data=None shows the numbers of tensors with at most this many elements
COUNT_LIMIT = 1_000_000   # past max_nodes the rest is only counted, and only this far


# ---------------------------------------------------------------------------------------------
# the picture
# ---------------------------------------------------------------------------------------------

def draw_graph(root: Any, *, params: Any = None, show_data: bool | None = None, show_grad: bool = True,
               show_shapes: bool = True, rankdir: str = "LR", max_nodes: int | None = 500,
               title: str | None = None, module: Any = None) -> Any:
    """The graph that computed `root` (a Tensor, a Value, or a list of them) as a graphviz.Digraph.

    params: names for tensors, ``{name: tensor}``: the weights (``dict(model.named_parameters())``,
        the default with `module`), and also inputs (``"X"``, ``"y (target)"``) and intermediate
        results (``"H": H``), whose boxes then show the name and, for an intermediate, its numbers.
    show_data: numbers of tensors whose data is at hand (leaves, the output, retain_grad() tensors):
        None = those with at most 6 elements, True = all, False = none.
    show_grad: gradients of leaves (and retain_grad() tensors) and of Values.
    show_shapes: label edges with the shape flowing along them.
    max_nodes: draw this many nodes of the graph (ops and leaves) nearest the output, then one
        "… N more nodes" node; None draws everything.
    module: a Module; its sub-modules become boxes (clusters) around their ops. Exact when the
        forward pass ran inside ``with record_modules(model):``, else ops that use a module's
        weights are grouped with them.

    ``.render(path, format="svg")``, ``.pipe()``, ``.source`` and Jupyter display work as in graphviz.
    """
    _import_graphviz()   # says what to install when the viz extra is missing
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not isinstance(r, (Tensor, Value)):
            raise TypeError(f"draw_graph draws the graph of a Tensor or a Value (or a list of them); "
                            f"got {type(r).__name__}")
    if params is None and module is not None:
        params = module.named_parameters()
    named = _named_tensors(params)
    names = _param_names(named)
    starts = [r.grad_fn or r if isinstance(r, Tensor) else r for r in roots]
    order, more = _walk(starts, max_nodes)
    known = {node: r for node, r in zip(starts, roots) if isinstance(r, Tensor)}   # node -> tensor
    # a named intermediate result (Z1, H): its op's box shows the name and the numbers
    known.update((t.grad_fn, t) for _, t in named if isinstance(t, Tensor) and t.grad_fn is not None)

    graph = GraphPicture(name="computation", graph_attr={
        "rankdir": rankdir, "fontname": "Helvetica", "fontsize": "12", "nodesep": "0.25",
        "ranksep": "0.35"})
    graph.attr("node", fontname="Helvetica", fontsize="11", margin="0.08,0.04")
    graph.attr("edge", fontname="Helvetica", fontsize="9", fontcolor=NOTE_COLOR, color="#555555",
               arrowsize="0.6")
    drawing = _Drawing(graph, order, set(starts), known, names, show_data, show_grad, show_shapes)
    drawing.draw_all()
    if more:
        drawing.cut(more)
    drawing.place(_clusters(module, names, order))
    notes = [f"<B>{_escape(title)}</B>"] if title else []
    notes.append(f'<FONT POINT-SIZE="10" COLOR="{NOTE_COLOR}">{_escape(drawing.legend())}</FONT>')
    if drawing.freed:
        notes.append(f'<FONT POINT-SIZE="10" COLOR="{NOTE_COLOR}">dashed ops: backward() freed what they '
                     'saved (backward again needs retain_graph=True the first time)</FONT>')
    graph.attr(label="<" + '<BR ALIGN="LEFT"/>'.join(notes) + '<BR ALIGN="LEFT"/>>', labelloc="t",
               labeljust="l")
    return graph


class _Drawing:
    """One picture in the making: node and edge statements, kept apart so clusters can take nodes."""

    def __init__(self, graph: Any, order: list[Any], roots: set[Any], known: dict[Any, Tensor],
                 names: dict[int, str], show_data: bool | None, show_grad: bool, show_shapes: bool) -> None:
        self.graph, self.order, self.roots, self.known, self.names = graph, order, roots, known, names
        self.show_data, self.show_grad, self.show_shapes = show_data, show_grad, show_shapes
        self.ids = {node: f"n{i}" for i, node in enumerate(order)}
        self.nodes: dict[str, tuple[Any, str, dict[str, str]]] = {}   # id -> (graph node or None, label, attrs)
        self.edges: list[tuple[str, str, str]] = []
        self.freed = False
        values = [node for node in order if isinstance(node, Value)]
        # a Value's grad starts at 0.0: if every one is still 0, backward has not run
        self.values_have_grads = any(_number(v.grad) != 0.0 for v in values)

    def legend(self) -> str:
        """One line that says how to read the picture."""
        if all(isinstance(node, Value) for node in self.order):
            label = next(iter(self.roots)).label if len(self.roots) == 1 else ""
            out = label if label.isidentifier() else "(output)"
            grad = f" · grad: d{out}/d(this number)" if self.show_grad else ""
            return f"boxes: numbers (label, data{', grad' if self.show_grad else ''}) · circles: ops{grad}"
        shapes = " · edges: the shape flowing" if self.show_shapes else ""
        return (f"blue: weights (require grad) · grey: inputs (no grad) · yellow: ops{shapes} · "
                "orange border: the output")

    def draw_all(self) -> None:
        for node in self.order:
            if isinstance(node, Value):
                self.value(node)
            elif isinstance(node, Function):
                self.op(node)
            else:
                self.tensor(node, self.ids[node], node)

    # --- scalars: the chapter's neuron -------------------------------------------------------

    def value(self, v: Value) -> None:
        vid = self.ids[v]
        cells = [f"<B>{_escape(v.label)}</B>"] if v.label else []
        cells.append(f"data {_scalar(v.data)}")
        if self.show_grad:
            grad = f"grad {_scalar(_number(v.grad))}" if self.values_have_grads else "grad: not computed yet"
            cells.append(f'<FONT COLOR="{GRAD_COLOR}">{grad}</FONT>')
        is_root = v in self.roots
        # leaves you named are the inputs and weights; unnamed leaves are constants (the 1 in x + 1)
        fill = TENSOR_FILL if v._parents else (PARAM_FILL if v.label else INPUT_FILL)
        row = "".join(f"<TD>{c}</TD>" for c in cells)
        border = f' BORDER="3" COLOR="{ROOT_COLOR}"' if is_root else ' BORDER="0"'
        label = (f'<<TABLE{border} CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
                 f'BGCOLOR="{fill}"><TR>{row}</TR></TABLE>>')
        self.nodes[vid] = (v, label, {"shape": "plain"})
        if v._op:
            op_id = vid + "_op"
            self.nodes[op_id] = (v, _escape(v._op), {"shape": "circle", "style": "filled",
                                                      "fillcolor": OP_FILL, "width": "0.45",
                                                      "fixedsize": "shape"})
            self.edges.append((op_id, vid, ""))
            for parent in v._parents:
                self.edge_in(parent, op_id)

    # --- tensors ------------------------------------------------------------------------------

    def op(self, fn: Function) -> None:
        """An op: its oval, the box of the tensor it made, and edges from what it was made of."""
        fid = self.ids[fn]
        saved = fn._saved
        freed = saved is _FREED_VALUES
        self.freed |= freed
        attrs = {"shape": "ellipse", "style": "filled,dashed" if freed else "filled", "fillcolor": OP_FILL,
                 "tooltip": fn.name() + (" (saved values freed by backward)" if freed else "")}
        self.nodes[fid + "_op"] = (fn, _escape(op_label(fn)), attrs)
        self.edges.append((fid + "_op", fid, ""))
        self.tensor(fn, fid, self.output_of(fn))
        for i, parent in enumerate(fn._parents):
            if parent is not None:
                self.edge_in(parent, fid + "_op")
            elif not freed:
                self.constant_input(fn, i, fid)

    def output_of(self, fn: Function) -> Tensor | None:
        """The tensor `fn` made, if we can see it: a root we were given, or a retain_grad() tensor."""
        if fn in self.known:
            return self.known[fn]
        retained = (fn._extra or {}).get("retained")
        return retained() if retained is not None else None

    def tensor(self, node: Any, tid: str, t: Tensor | None) -> None:
        """A tensor's box. `node` is the graph node (an op for computed tensors, the leaf itself)."""
        is_leaf = isinstance(node, Tensor)
        shape, dtype = node._shape, node._dtype
        name = self.names.get(id(node) if is_leaf else id(t)) if is_leaf or t is not None else None
        if name is not None:
            head = f"<B>{_escape(name)}</B> {_shape(shape)}"
        elif is_leaf:
            head = f"<B>leaf</B> {_shape(shape)}" if node.requires_grad else f"<B>input</B> {_shape(shape)}"
        else:
            head = None
        rows = [head, str(dtype)] if head else [f"{_shape(shape)} {dtype}"]
        if t is not None and self.wants_data(t._array.size):
            rows.append(_data_row("data", t._array))
        if self.show_grad and t is not None and (is_leaf and t.requires_grad or not is_leaf and t.retains_grad):
            rows.append(_grad_row(t.grad))
        if is_leaf and not node.requires_grad:
            fill = INPUT_FILL
        elif is_leaf:
            fill = PARAM_FILL
        else:
            fill = TENSOR_FILL
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": fill}
        if node in self.roots:
            attrs.update(color=ROOT_COLOR, penwidth="3")
        self.nodes[tid] = (node, _rows(rows), attrs)

    def constant_input(self, fn: Function, i: int, fid: str) -> None:
        """An input that needs no gradient (x, a target y): drawn when the op still holds it."""
        if not fn._saved:
            return
        for value, source in zip(fn._saved, getattr(fn, "_saved_from", ())):
            if source == i:
                array = value._array if isinstance(value, Tensor) else np.asarray(value)
                name = self.names.get(id(array), "input")
                rows = [f"<B>{_escape(name)}</B> {_shape(array.shape)}", str(array.dtype)]
                if self.wants_data(array.size):
                    rows.append(_data_row("data", array))
                cid = f"{fid}_in{i}"
                self.nodes[cid] = (None, _rows(rows), {"shape": "box", "style": "rounded,filled",
                                                     "fillcolor": INPUT_FILL})
                self.edges.append((cid, fid + "_op", _shape(array.shape) if self.show_shapes else ""))
                return

    def wants_data(self, size: int) -> bool:
        return size <= SMALL if self.show_data is None else bool(self.show_data)

    # --- edges --------------------------------------------------------------------------------

    def edge_in(self, parent: Any, op_id: str) -> None:
        """parent -> op, labelled with the shape of what flows (scalars need no label)."""
        label = "" if isinstance(parent, Value) or not self.show_shapes else _shape(parent._shape)
        # a parent past max_nodes is represented by the one "… N more nodes" box
        self.edges.append((self.ids.get(parent, "more"), op_id, label))

    def cut(self, more: int) -> None:
        """The one node that stands for everything past max_nodes."""
        count = f"more than {COUNT_LIMIT:,}" if more > COUNT_LIMIT else f"{more:,}"
        label = f"… {count} more node{'s' if more != 1 else ''}\n(raise max_nodes to draw them)"
        self.nodes["more"] = (None, label, {"shape": "note", "style": "filled", "fillcolor": "#f8f8f8",
                                            "fontcolor": NOTE_COLOR, "color": NOTE_COLOR})

    # --- output -------------------------------------------------------------------------------

    def place(self, clusters: _Clusters) -> None:
        """Emit nodes (inside their module's cluster, if any) and edges into the Digraph."""
        owner, titles, recorded = clusters
        members: dict[str | None, list[str]] = {}
        for nid, (node, _, _) in self.nodes.items():
            path = owner.get(node) if node is not None else None
            members.setdefault(path if path in titles else None, []).append(nid)
        # nest each cluster in the nearest enclosing one that is drawn
        children: dict[str | None, list[str]] = {}
        drawn = [p for p in titles if p in members or recorded and _encloses(p, members)]
        for path in sorted(drawn):
            outer = [p for p in drawn if p != path and _within(path, p)]
            children.setdefault(max(outer, key=len) if outer else None, []).append(path)
        self.emit(self.graph, None, members, children, titles)
        for tail, head, label in self.edges:
            self.graph.edge(tail, head, label=label) if label else self.graph.edge(tail, head)

    def emit(self, graph: Any, path: str | None, members: dict[str | None, list[str]],
             children: dict[str | None, list[str]], titles: dict[str, str]) -> None:
        for nid in members.get(path, ()):
            _, label, attrs = self.nodes[nid]
            graph.node(nid, label=label, **attrs)
        for child in children.get(path, ()):
            with graph.subgraph(name="cluster_" + (child or "model")) as sub:
                sub.attr(label=titles[child], style="rounded,dashed", color="#7a7a7a", fontcolor="#333333",
                         fontsize="11", labeljust="l")
                self.emit(sub, child, members, children, titles)


def _encloses(path: str, members: dict[str | None, list[str]]) -> bool:
    # with a record, a module's cluster is drawn around its sub-modules' even if it adds no op itself
    return any(p is not None and p != path and _within(p, path) for p in members)


def _within(path: str, outer: str) -> bool:
    return outer == "" or path == outer or path.startswith(outer + ".")


# ---------------------------------------------------------------------------------------------
# the walk
# ---------------------------------------------------------------------------------------------

def _walk(starts: Sequence[Any], max_nodes: int | None) -> tuple[list[Any], int]:
    """Breadth-first from the roots, each node once: the first `max_nodes` nodes (nearest the
    output), and how many more there are (counted, not drawn; counting stops at COUNT_LIMIT)."""
    limit = float("inf") if max_nodes is None else max(int(max_nodes), 1)
    seen = set(starts)
    queue = deque(dict.fromkeys(starts))
    order: list[Any] = []
    while queue and len(order) < limit:
        node = queue.popleft()
        order.append(node)
        for parent in node._parents:
            if parent is not None and parent not in seen:
                seen.add(parent)
                queue.append(parent)
    while queue and len(seen) - len(order) <= COUNT_LIMIT:   # only count the rest
        for parent in queue.popleft()._parents:
            if parent is not None and parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order, len(seen) - len(order)


# ---------------------------------------------------------------------------------------------
# modules: which ops each sub-module made
# ---------------------------------------------------------------------------------------------

# model -> {op node: module path}
_records: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, str]] = weakref.WeakKeyDictionary()


class record_modules:
    """Note, during a forward pass, which ops each sub-module of `model` creates (forward hooks).

        with record_modules(model):
            loss = loss_fn(model(X), y)
        draw_graph(loss, module=model)      # one cluster per module, nested as the modules are

    Each op goes to the innermost module whose forward created it: the hook walks back from the
    module's output to its inputs. Ops are held weakly, so recording keeps no graph alive.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.handles: list[Any] = []   # the forward hooks' RemovableHandles

    def __enter__(self) -> record_modules:
        owner: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
        _records[self.model] = owner
        for path, sub in self.model.named_modules():
            self.handles.append(sub.register_forward_hook(_recorder(owner, path)))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []


def _recorder(owner: weakref.WeakKeyDictionary[Any, str], path: str) -> Any:
    def hook(module: Any, inputs: tuple[Any, ...], output: Any) -> None:
        stop = {x.grad_fn or x for x in _tensors(inputs) if x.requires_grad}
        outputs = [x.grad_fn for x in _tensors(output) if x.grad_fn is not None]
        seen = set(outputs)
        stack = list(outputs)
        while stack:
            node = stack.pop()
            if node in stop or not isinstance(node, Function):
                continue
            inner = owner.get(node)
            if inner is None:
                owner[node] = path
            elif not _within(inner, path):
                continue   # made by another module before this one ran: not ours
            for parent in node._parents:
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return hook


def _tensors(x: Any) -> list[Tensor]:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _tensors(item)]
    if isinstance(x, dict):
        return [t for item in x.values() for t in _tensors(item)]
    return []


# (graph node -> module path, module path -> cluster title, recorded?)
_Clusters = tuple[dict[Any, str], dict[str, str], bool]


def _clusters(module: Any, names: dict[int, str], order: list[Any]) -> _Clusters:
    """(graph node -> module path, module path -> cluster title, recorded?) for the modules."""
    if module is None:
        return {}, {}, False
    modules = dict(module.named_modules())
    titles = {path: _module_title(path, sub) for path, sub in modules.items()}
    recorded = _records.get(module)
    ops = [node for node in order if isinstance(node, Function)]
    if recorded is not None and not any(node in recorded for node in ops):
        recorded = None   # recorded for another forward pass: of no help for this graph
    owner: dict[Any, str] = {}
    for node in order:   # weights sit in the module that owns them
        if isinstance(node, Tensor) and id(node) in names:
            owner[node] = names[id(node)].rpartition(".")[0]
    for node in ops:
        if recorded is not None:
            if node in recorded:
                owner[node] = recorded[node]
        else:   # no record: an op that uses a module's weight belongs to that module
            paths = [owner[p] for p in node._parents if isinstance(p, Tensor) and p in owner]
            if paths:
                owner[node] = max(paths, key=len)
    return owner, titles, recorded is not None


def _module_title(path: str, module: Any) -> str:
    kind = type(module).__name__
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        kind += f"({module.in_features} → {module.out_features})"
    return f"{path}: {kind}" if path else kind


# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------

def _named_tensors(params: Any) -> list[tuple[str, Any]]:
    if params is None:
        return []
    return list(params.items() if isinstance(params, Mapping) else params)


def _param_names(named: list[tuple[str, Any]]) -> dict[int, str]:
    """id -> name, for each named tensor and for its array (an op keeps an input it needs no
    gradient for, X or a target y, as the bare array)."""
    names = {id(tensor): name for name, tensor in named}
    names.update((id(tensor._array), name) for name, tensor in named if isinstance(tensor, Tensor))
    return names


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar ()" if shape == () else str(tuple(shape))


def _number(x: Any) -> float:
    return float(x.data) if isinstance(x, Value) else float(x)


def _num(x: Any) -> str:
    text = f"{x:.4g}"
    if isinstance(x, (float, np.floating)) and text.lstrip("-").isdigit():
        text += ".0"   # 2.0, not 2: it is a float
    return text


def _scalar(x: float) -> str:
    """A Value's data or grad, as micrograd's pictures print them: four decimals, every number alike."""
    return f"{x:.4f}"


def _array(a: np.ndarray) -> list[str]:
    """Numbers, 4 significant digits, as lines: a small matrix one row per line, like the book."""
    if a.ndim == 0:
        return [_num(a.item())]
    if a.size > SMALL * 4:
        return ["[" + ", ".join(_num(x) for x in a.reshape(-1)[:SMALL * 4].tolist()) + ", …]"]
    if a.ndim == 2 and 1 < a.shape[0] <= SMALL:
        rows = [_nested(row) for row in a.tolist()]
        return ["[" + rows[0] + ","] + [" " + row + "," for row in rows[1:-1]] + [" " + rows[-1] + "]"]
    return [_nested(a.tolist())]


def _data_row(what: str, a: np.ndarray) -> str:
    lines = _array(a)
    if len(lines) == 1:
        return _escape(f"{what} {lines[0]}")
    return _escape(what) + '<BR ALIGN="LEFT"/>' + "".join(_escape(line) + '<BR ALIGN="LEFT"/>' for line in lines)


def _nested(x: Any) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(item) for item in x) + "]"
    return _num(x)


def _grad_row(grad: Tensor | None) -> str:
    if grad is None:
        text = _escape("grad: not computed yet")
    elif grad._array.size <= SMALL:
        text = _data_row("grad", grad._array)
    else:
        text = _escape(f"grad norm {_num(float(np.linalg.norm(grad._array)))}")
    return f'<FONT COLOR="{GRAD_COLOR}">{text}</FONT>'


def _rows(rows: list[str]) -> str:
    body = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _escape(text: str) -> str:
    return html.escape(str(text), quote=True)


# ---------------------------------------------------------------------------------------------
# explain: a page that steps through the forward and backward pass
# ---------------------------------------------------------------------------------------------

def explain(output: Any, *, params: Any = None, module: Any = None, gradient: Any = None,
            title: str | None = None, max_steps: int = 200) -> Stepper:
    """A stepper through the forward and backward pass of the graph that computed `output` (a Tensor
    or a Value), before or after backward() (after it, only with ``retain_graph=True``: the walk is
    run again). ``.save("walk.html")`` writes one self-contained page; in Jupyter it shows inline.

    The page shows the graph (as draw_graph draws it, with `params` and `module`), a slider,
    previous/next buttons and the arrow keys: first the ops in the order they ran, then backward in
    the engine's own walk order. At each step the node is highlighted and a panel shows its op and
    formula, the gradient that arrived, what it passed to each parent (with the ``+=`` where two
    paths meet), and the leaves' gradients so far. Nothing the caller holds changes.

    A graph with more than `max_steps` steps stays usable: with `module`, the consecutive steps of
    one sub-module's ops become one step (the page says so); without it the page keeps every step.
    """
    if params is None and module is not None:
        params = dict(module.named_parameters())
    picture = draw_graph(output, params=params, module=module, max_nodes=None, title=title)
    roots = [output.grad_fn or output] if isinstance(output, Tensor) else [output]
    order, _ = _walk(roots, None)   # draw_graph's order, so node i is the picture's "n{i}"
    names = _param_names(_named_tensors(params))
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    steps = walkthrough(output, gradient=gradient, names=names, picture_ids=ids)
    pages = described = describe(steps)
    if len(steps) > max_steps and module is not None:
        owner, titles, _ = _clusters(module, names, order)
        depth = max((path.count(".") + 1 for path in owner.values() if path), default=0)
        # the finest modules (deepest paths) whose grouping brings the page under max_steps
        for level in range(depth, 0, -1):
            groups = {ids[node]: titles[cut] for node, path in owner.items()
                      if (cut := ".".join(path.split(".")[:level])) and cut in titles}
            pages = _grouped(described, groups)
            if len(pages) <= max_steps:
                break
    return Stepper(steps, picture, title, pages)


class Stepper:
    """The steps of one pass (``.steps``, a Walkthrough) and the page that shows them (``.html()``)."""

    def __init__(self, steps: Walkthrough, picture: Any, title: str | None = None,
                 pages: list[dict[str, Any]] | None = None) -> None:
        self.steps = steps
        self.title = title or "Reverse mode, step by step"
        self._picture = picture
        self._svg: str | None = None
        # what the page steps through: the walk's steps, or some of them grouped by module
        self.pages = describe(steps) if pages is None else pages

    def __len__(self) -> int:
        """The number of steps the page has (fewer than the walk's when a module's ops are grouped)."""
        return len(self.pages)

    def __repr__(self) -> str:
        grouped = f", shown in {len(self)} steps" if len(self) != len(self.steps) else ""
        return (f"<Stepper: {len(self.steps.forward)} forward and {len(self.steps.backward)} backward steps"
                f"{grouped}; .save(path) writes the page>")

    def svg(self) -> str:
        """The graph picture as SVG text (rendered once, by graphviz's dot)."""
        if self._svg is None:
            svg = self._picture.pipe(format="svg").decode("utf-8")
            self._svg = svg[svg.index("<svg"):]   # without the XML prolog: it is inlined in HTML
        return self._svg

    def html(self) -> str:
        """The whole page: the SVG, the steps as JSON and the script that steps through them, inline
        (it loads nothing from the network)."""
        data = {"title": self.title, "nodes": [{"name": n, "id": i, "kind": k} for n, i, k in
                                               zip(self.steps.nodes, self.steps.ids, self.steps.kinds)],
                "steps": self.pages,
                "note": (f"{len(self.steps)} steps, grouped by module into {len(self)}"
                         if len(self) != len(self.steps) else "")}
        parts = {"TITLE": _escape(self.title), "SVG": self.svg(),
                 "DATA": json.dumps(data).replace("</", "<\\/")}   # no "</script>" inside the script
        # one pass over the template, so a title that says "%SVG%" stays a title
        return re.sub(r"%(TITLE|SVG|DATA)%", lambda m: parts[m.group(1)], _PAGE)

    def save(self, path: str | Path) -> Path:
        """Write the page to `path` (its folder is made if missing); returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.html(), encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        # Jupyter: the page in a sandboxed frame, so its script and styles stay inside it
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" style="width:100%;height:640px;'
                'border:1px solid #ddd" sandbox="allow-scripts"></iframe>')


def _grouped(steps: list[dict[str, Any]], groups: dict[str, str]) -> list[dict[str, Any]]:
    """Consecutive steps of one phase whose nodes belong to the same module, as one step listing them."""
    pages: list[dict[str, Any]] = []
    for step in steps:
        group = groups.get(step["id"])
        last = pages[-1] if pages else None
        if (group is not None and last is not None and last.get("group") == group
                and last["phase"] == step["phase"]):
            last["members"].append(step)
        elif group is not None:
            pages.append({"phase": step["phase"], "group": group, "op": group, "members": [step]})
        else:
            pages.append(step)
    # a group of one is shown as the step it is
    return [p["members"][0] if len(p.get("members", ())) == 1 else p for p in pages]


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%TITLE%</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 0; display: flex; height: 100vh; }
#graph { flex: 1 1 auto; overflow: auto; padding: 8px; }
#graph svg { max-width: 100%; height: auto; }
#side { flex: 0 0 380px; border-left: 1px solid #ccc; padding: 12px; overflow: auto; background: #fafafa; }
#controls { display: flex; gap: 6px; align-items: center; margin: 8px 0; }
#slider { flex: 1; }
#counter { font-weight: bold; }
.phase { color: #666; font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
.formula { font-family: monospace; background: #fff4c2; padding: 4px 6px; margin: 6px 0; }
.num { font-family: monospace; white-space: pre-wrap; }
.acc { color: #b3261e; }
table { border-collapse: collapse; font-size: 13px; } td { padding: 2px 6px; vertical-align: top; }
g.node.current ellipse, g.node.current polygon, g.node.current path { stroke: #d9480f; stroke-width: 4px; }
g.node.done ellipse, g.node.done polygon, g.node.done path { stroke: #2b8a3e; stroke-width: 2px; }
</style></head>
<body>
<div id="graph">%SVG%</div>
<div id="side">
<h3>%TITLE%</h3>
<div id="controls"><button id="prev">&#9664; previous</button>
<input id="slider" type="range" min="1" value="1"><button id="next">next &#9654;</button></div>
<div id="counter"></div>
<div id="note" class="phase"></div>
<div id="panel"></div>
<h4>Leaves' gradients so far</h4>
<table id="leaves"></table>
</div>
<script>
const DATA = %DATA%;
const steps = DATA.steps, n = steps.length;
const slider = document.getElementById("slider");
slider.max = String(n);
const shapes = {};
for (const g of document.querySelectorAll("g.node")) {
  const t = g.querySelector("title");
  if (t) shapes[t.textContent.trim()] = g;
}
function mark(id, cls) {
  for (const key of [id, id + "_op"]) if (shapes[key]) shapes[key].classList.add(cls);
}
function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
function parts(s) { return s.members || [s]; }
function detail(s, one) {
  let html = '<div class="formula"' + (one ? ' id="formula"' : '') + '>' + esc(s.formula) + '</div>';
  if (s.phase === "forward") {
    html += '<div>computed from: <span' + (one ? ' id="inputs"' : '') + '>' + esc(s.inputs.join(", ")) + '</span></div>';
    if (s.value !== null) html += '<div>result: <span class="num"' + (one ? ' id="value"' : '') + '>' + esc(s.value) + '</span></div>';
    return html;
  }
  html += '<div>gradient that arrived, g:</div><div class="num"' + (one ? ' id="grad"' : '') + '>' + esc(s.grad) + '</div>';
  if (s.leaf) html += '<div>the walk ends here: <b>.grad</b> receives this total</div>';
  if (s.passed.length) html += '<div>passed to its parents:</div>';
  for (const p of s.passed) {
    html += '<div class="passed" data-to="' + esc(p.to) + '"><b>' + esc(p.to) + '</b> gets <span class="num">' +
            esc(p.grad) + '</span>';
    if (p.before !== null) html += '<div class="acc">two paths meet: ' + esc(p.before) + ' += ' + esc(p.grad) +
                                   ' &rarr; ' + esc(p.after) + '</div>';
    html += '</div>';
  }
  return html;
}
const kinds = {};
for (const node of DATA.nodes) kinds[node.id] = node.kind;
function show(k) {
  k = Math.max(1, Math.min(n, k));
  slider.value = String(k);
  for (const g of Object.values(shapes)) g.classList.remove("current", "done");
  const s = steps[k - 1];
  for (let j = 0; j < k - 1; j++) if (steps[j].phase === s.phase) for (const t of parts(steps[j])) mark(t.id, "done");
  for (const t of parts(s)) mark(t.id, "current");
  document.getElementById("counter").textContent = "step " + k + " of " + n;
  let html = '<div class="phase">' + s.phase + ' pass</div><h2 id="op">' + esc(s.op) + '</h2>';
  if (s.members) {
    html += '<div>' + s.members.length + ' steps of this module, in one step</div>';
    for (const m of s.members) html += '<h4>' + esc(m.op) + '</h4>' + detail(m, false);
  } else {
    html += detail(s, true);
  }
  document.getElementById("panel").innerHTML = html;
  const totals = {};
  for (let j = 0; j < k; j++) {
    for (const t of parts(steps[j])) {
      if (t.phase === "backward") for (const p of t.passed) if (kinds[p.id] !== "op") totals[p.id] = p.after;
    }
  }
  let rows = "";
  for (const node of DATA.nodes) if (node.kind === "leaf")
    rows += '<tr><td><b>' + esc(node.name) + '</b></td><td class="num" data-leaf="' + esc(node.id) + '">' +
            esc(totals[node.id] === undefined ? "none yet" : totals[node.id]) + '</td></tr>';
  document.getElementById("leaves").innerHTML = rows;
}
document.getElementById("note").textContent = DATA.note;
document.getElementById("prev").onclick = function () { show(Number(slider.value) - 1); };
document.getElementById("next").onclick = function () { show(Number(slider.value) + 1); };
slider.oninput = function () { show(Number(slider.value)); };
document.addEventListener("keydown", function (e) {
  if (e.key === "ArrowRight") show(Number(slider.value) + 1);
  if (e.key === "ArrowLeft") show(Number(slider.value) - 1);
});
show(1);
</script>
</body></html>
"""


# ---------------------------------------------------------------------------------------------
# graphviz: the optional Python package, and the `dot` program it runs
# ---------------------------------------------------------------------------------------------

def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError("Drawing graphs needs the Python package 'graphviz': pip install 'tinygrad_la[viz]' "
                          "(or pip install graphviz). Rendering also needs the system graphviz package "
                          "(apt-get install graphviz / brew install graphviz / conda install graphviz).") from None
    return graphviz


DOT_MISSING = ("Rendering the graph needs Graphviz's 'dot' program, which is not on PATH. The Python package "
               "is installed; install the system package graphviz too: apt-get install graphviz "
               "(Debian/Ubuntu), brew install graphviz (macOS) or conda install graphviz (conda); see "
               "https://graphviz.org/download/. Without it, graph.source is the DOT text of the picture.")

try:   # the viz extra; without it draw_graph says what to install (see _import_graphviz)
    _graphviz: Any = importlib.import_module("graphviz")
except ImportError:
    _graphviz = None

if _graphviz is not None:
    # graphviz ships no type information, so to mypy its classes are Any, and subclassing Any is
    # flagged (disallow_subclassing_any); these two subclasses are deliberate.
    class DotNotFound(_graphviz.ExecutableNotFound):  # type: ignore[misc]
        """graphviz's error when the `dot` program is missing, saying how to install it."""

        def __init__(self) -> None:
            RuntimeError.__init__(self, DOT_MISSING)

    class GraphPicture(_graphviz.Digraph):  # type: ignore[misc]
        """A picture of a computation graph: a graphviz.Digraph (``.render(path, format="svg")``,
        ``.pipe(format="png")``, ``.source``, shown inline in Jupyter) whose rendering says how to
        install `dot` when it is missing."""

        def render(self, *args: Any, **kwargs: Any) -> Any:
            """Write the picture to a file (graphviz's render), or say how to get `dot`."""
            try:
                return super().render(*args, **kwargs)
            except _graphviz.ExecutableNotFound:
                raise DotNotFound() from None

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            """The rendered picture as bytes (graphviz's pipe), or say how to get `dot`."""
            try:
                return super().pipe(*args, **kwargs)
            except _graphviz.ExecutableNotFound:
                raise DotNotFound() from None

        def __repr__(self) -> str:
            edges = sum(1 for line in self.body if " -> " in line)
            nodes = sum(1 for line in self.body if _NODE_LINE.match(line) and " -> " not in line)
            return (f"<GraphPicture {self.name!r}: {nodes} nodes, {edges} edges; .render(path, format='svg'), "
                    ".pipe(format='png') or .source>")

    __all__ += ["GraphPicture", "DotNotFound"]


_NODE_LINE = re.compile(r'\t+(?!(graph|node|edge|subgraph)\b)("[^"]*"|\w+) \[')


# ---------------------------------------------------------------------------------------------
# command line: python -m tinygrad_la.viz MODULE --out graph.svg
# ---------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """Draw the graph a module's ``graph_example()`` returns.

    The protocol: a module (``demos.sine``, or a path to a .py file) defines

        def graph_example():
            ...                                   # one training step, up to loss.backward()
            return loss, dict(model.named_parameters())   # optionally a third item: the model

    returning the loss (or a Value), or (loss, params), or (loss, params, model) to group each
    layer's ops. Gradients are drawn if backward has run: in graph_example, or with --backward
    here (retain_graph=True keeps what the ops saved, so the inputs stay in the picture).
    """
    command = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    prog = command if command.startswith("tinygrad-la-viz") else "python -m tinygrad_la.viz"   # the console script, or -m
    parser = argparse.ArgumentParser(prog=prog, description=main.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", help="a module with graph_example(), e.g. demos.sine, or a .py file")
    parser.add_argument("--out", default="graph.svg", help="output file; its suffix is the format (svg, png, pdf)")
    parser.add_argument("--max-nodes", type=int, default=500)
    parser.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    parser.add_argument("--title", default=None, help="a title (default: the module's name)")
    parser.add_argument("--backward", action="store_true",
                        help="run backward(retain_graph=True) on the result first, to draw the gradients")
    args = parser.parse_args(argv)

    try:
        target = _load(args.module)
    except (ImportError, OSError, SyntaxError) as error:   # one line saying what went wrong, not a traceback
        raise SystemExit(f"{prog}: cannot load {args.module!r}: {type(error).__name__}: {error} (give a module "
                         "importable from here, such as demos.sine, or the path of a .py file)") from None
    example = getattr(target, "graph_example", None)
    if example is None:
        parser.error(f"{args.module} has no graph_example(); define one that returns "
                     "(loss, dict(model.named_parameters())) after one training step")
    result = example()
    root, params, model = (tuple(result) + (None, None))[:3] if isinstance(result, tuple) else (result, None, None)
    if args.backward:
        root.backward(retain_graph=True)
    graph = draw_graph(root, params=params, module=model, max_nodes=args.max_nodes, rankdir=args.rankdir,
                       title=args.title if args.title is not None else f"{args.module}: graph_example()")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(graph.pipe(format=out.suffix.lstrip(".") or "svg"))
    print(f"wrote {out}")
    return 0


def _load(name: str) -> Any:
    if name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(name).stem, name)
        if spec is None or spec.loader is None:
            raise ImportError(f"no Python module at {name}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    if "" not in sys.path:
        sys.path.insert(0, "")   # `python -m` puts the current directory first; be sure of it
    return importlib.import_module(name)


if __name__ == "__main__":
    from tinygrad_la.viz import main as _main   # the package's copy, not __main__'s: one record table
    sys.exit(_main())
