"""Reverse mode, step by step, as data: what the forward pass computed and what backward() does.

    steps = walkthrough(loss)       # a Tensor or a Value, before or after loss.backward()
    for step in steps.backward:
        print(step.node, step.formula, step.grad_in, step.passed)

`walkthrough` reads the recorded graph and runs the engine's own backward walk on it once more,
listening to each node as the engine reaches it (the events compile's tracer hears), with nothing
accumulated: no `.grad` changes, no saved value is freed, the user's tensors stay as they were.
What it keeps are numbers (copies) and names, never the tensors or nodes themselves. Hooks
registered on the graph's tensors run, as they do in backward(), since they may change the
gradients; a hook with side effects of its own sees a second call.

The forward steps are the ops in an order they could have run (each after its inputs); the
backward steps are the nodes in the order the engine walks them (Kahn's order, engine.py), each
with the gradient that arrived, what it passed to each parent, and, where a parent had already
received a gradient from another path, the sum made there (`+=`). The leaves come last, where the
walk ends: their totals are what `backward()` adds into `.grad`.

viz.explain draws these steps as a page that steps through them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .core import engine
from .core.engine import _mode
from .core.function import Function
from .core.tracer import Tracer
from .tensor import Tensor
from .value import Value

__all__ = ["walkthrough", "Walkthrough", "ForwardStep", "BackwardStep", "Passed", "op_label"]

SMALL = 12   # arrays with at most this many entries are shown number by number


@dataclass(frozen=True)
class Passed:
    """One gradient a node passed on: to which parent, what, and the parent's total before and after."""

    parent: int                 # the parent's number in Walkthrough.nodes
    grad: Any                   # the gradient passed (a copy: an array, or a float for Values)
    before: Any = None          # the parent's total before this step (None: this is its first)
    after: Any = None           # its total after: grad, or before + grad


@dataclass(frozen=True)
class ForwardStep:
    """One op of the forward pass: which node, the op, its formula, and what it was computed from."""

    node: int
    op: str
    formula: str
    inputs: tuple[int, ...]     # the parents' numbers (the inputs that take part in gradients)
    value: Any = None           # the result's numbers, where the graph holds them (Values, the output)


@dataclass(frozen=True)
class BackwardStep:
    """One step of the walk: a node's backward ran on the gradient that arrived there."""

    node: int
    op: str
    formula: str
    grad_in: Any                # d(output)/d(this node's result): what arrived (a copy)
    passed: tuple[Passed, ...]  # to each parent: what this node's backward gave it
    leaf: bool = False          # a leaf: the walk ends here, grad_in is what .grad receives


@dataclass
class Walkthrough:
    """The steps of one forward and backward pass over a recorded graph (see the module docstring)."""

    nodes: list[str]                    # a short name per node (its op, or the leaf's name/shape)
    ids: list[str]                      # per node: its id in the graph picture (viz.draw_graph's)
    kinds: list[str]                    # per node: "op", "leaf" (requires grad) or "input"
    forward: list[ForwardStep]
    backward: list[BackwardStep]

    def __len__(self) -> int:
        """The number of steps, forward and backward."""
        return len(self.forward) + len(self.backward)

    @property
    def grads(self) -> dict[int, Any]:
        """Per leaf (its number in `nodes`): the total gradient, what backward() adds into its .grad."""
        return {step.node: step.grad_in for step in self.backward if step.leaf}


def walkthrough(output: Any, gradient: Any = None, names: dict[int, str] | None = None,
                picture_ids: dict[Any, str] | None = None) -> Walkthrough:
    """The forward and backward steps of the graph that computed `output` (a Tensor or a Value).

    `gradient` seeds d(output)/d(output) as in backward() (default 1 for one element); `names`
    maps ``id(tensor)`` to a name for leaves ({id(w): "W1"}); `picture_ids` maps graph nodes to
    their ids in a picture (default ``n0, n1, ...`` in execution order). Nothing the caller holds changes.
    """
    if isinstance(output, Tensor):
        if not output.requires_grad:
            raise RuntimeError("walkthrough: the output does not require grad, so there is no graph to walk; "
                               "compute it from tensors created with requires_grad=True")
        if gradient is None and output._array.size != 1:
            raise RuntimeError(f"walkthrough: the output has shape {tuple(output.shape)}; pass gradient= (a "
                               "tensor of that shape), as backward() needs one, or reduce it first (.sum())")
        root: Any = output.grad_fn or output
        seed: Any = (np.ones_like(output._array) if gradient is None
                     else np.array(gradient._array if isinstance(gradient, Tensor) else gradient,
                                   dtype=output._array.dtype))
        if seed.shape != output._array.shape:
            raise RuntimeError(f"walkthrough: gradient= must have the output's shape {tuple(output.shape)}; "
                               f"got shape {tuple(seed.shape)}")
    elif isinstance(output, Value):
        root, seed = output, 1.0 if gradient is None else float(gradient)
    else:
        raise TypeError(f"walkthrough takes a Tensor or a Value; got {type(output).__name__}")
    order = _execution_order(root)
    number = {node: i for i, node in enumerate(order)}
    names = names or {}
    nodes = [_node_name(node, names) for node in order]
    kinds = ["op" if node._parents else ("leaf" if _wants_grad(node) else "input") for node in order]
    forward = [ForwardStep(number[node], nodes[number[node]], _formula(node),
                           tuple(number[p] for p in node._parents if p is not None),
                           _value_of(node, root, output))
               for node in order if node._parents]
    listener = _Listener(number, nodes)
    leaves = [node for node in order if not node._parents]
    previous = _mode.tracer
    _mode.tracer = listener
    try:
        engine.backward([root], [seed], retain_graph=True, capture=leaves)
    except RuntimeError as error:
        if "backward through the graph a second time" in str(error):
            raise RuntimeError("walkthrough: backward() already ran on this graph and freed the values its ops "
                               "saved, so the walk cannot be run again. Call explain()/walkthrough() before "
                               "backward(), or run backward(retain_graph=True).") from None
        raise
    finally:
        _mode.tracer = previous
    ids = [picture_ids.get(node, f"n{i}") if picture_ids else f"n{i}" for i, node in enumerate(order)]
    return Walkthrough(nodes, ids, kinds, forward, listener.steps)


class _Listener(Tracer):
    """Hears the engine's walk (the tracer's backward events) and keeps each step as numbers."""

    def __init__(self, number: dict[Any, int], names: list[str]) -> None:
        self.number, self.names = number, names
        self.steps: list[BackwardStep] = []
        self.totals: dict[int, Any] = {}    # node number -> the gradient summed there so far

    def node(self, node: Any, grad: Any, parent_grads: Any) -> None:
        """One node's backward ran: keep what arrived and what it passed to each parent."""
        i = self.number[node]
        passed = []
        for parent, g in zip(node._parents, parent_grads):
            if parent is None or g is None:
                continue
            p = self.number[parent]
            g = _copy(g)
            before = self.totals.get(p)
            after = g if before is None else before + g
            self.totals[p] = after
            passed.append(Passed(p, g, before, after))
        self.steps.append(BackwardStep(i, self.names[i], _formula(node), _copy(grad), tuple(passed),
                                       leaf=not node._parents))


def _execution_order(root: Any) -> list[Any]:
    """Every node under `root`, each after the nodes it was computed from (depth first, inputs in
    argument order, without recursion), so the list reads as the forward pass ran."""
    order: list[Any] = []
    done: set[Any] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if expanded:
            done.add(node)
            order.append(node)
            continue
        stack.append((node, True))
        for parent in reversed(node._parents):
            if parent is not None and parent not in done:
                stack.append((parent, False))
    return order


def _wants_grad(node: Any) -> bool:
    return isinstance(node, Value) or bool(getattr(node, "requires_grad", False))


def _node_name(node: Any, names: dict[int, str]) -> str:
    """What a node is called on the page: its op, or the leaf's name (or shape)."""
    if isinstance(node, Value):
        return node._op or node.label or "leaf"
    if isinstance(node, Function):
        return op_label(node)
    name = names.get(id(node))
    return name if name is not None else f"leaf {tuple(node.shape)}"


# An op is called by its node's name without "Backward0"; the losses by their nn names instead
_OP_LABELS = {"MseLoss": "MSELoss", "NllLoss": "NLLLoss", "BinaryCrossEntropy": "BCELoss",
              "BinaryCrossEntropyWithLogits": "BCEWithLogitsLoss"}


def op_label(fn: Function) -> str:
    """An op's short name, as the page and the picture show it: ``Mul``, ``Addmm``, ``MSELoss``."""
    label = re.sub(r"Backward\d*$", "", fn.name())
    return _OP_LABELS.get(label, label)


def _formula(node: Any) -> str:
    """The op's formula, from its docstring's first line (Value: its derivative table row)."""
    if not node._parents:
        return "a leaf: the walk ends here, and the gradient is added into .grad"
    if isinstance(node, Value):
        doc = node._deriv.__doc__ if node._deriv is not None else None
    else:
        doc = type(node).__doc__
    return (doc or "").strip().splitlines()[0] if doc else ""


def _value_of(node: Any, root: Any, output: Any) -> Any:
    """The numbers a forward step made, where the graph holds them: a Value's data, the output's array."""
    if isinstance(node, Value):
        return node.data
    if node is root and isinstance(output, Tensor):
        return output._array.copy()
    return None


def _copy(g: Any) -> Any:
    if isinstance(g, Tensor):
        return g._array.copy()
    if isinstance(g, np.ndarray):
        return g.copy()
    return g


def summary(x: Any) -> str:
    """A gradient or value as the page shows it: its numbers when few, else its shape, norm, min and max."""
    if x is None:
        return "—"
    if isinstance(x, (int, float)):
        return f"{x:.4g}"
    a = np.asarray(x)
    if a.size <= SMALL:
        return np.array2string(a, precision=4, separator=", ", suppress_small=False)
    return (f"shape {tuple(a.shape)}, norm {float(np.linalg.norm(a)):.4g}, min {float(a.min()):.4g}, "
            f"max {float(a.max()):.4g}")


def describe(steps: Walkthrough) -> list[dict[str, Any]]:
    """The steps as plain dicts of strings (what the page's script reads), forward then backward."""
    out: list[dict[str, Any]] = []
    for f in steps.forward:
        out.append({"phase": "forward", "node": f.node, "id": steps.ids[f.node], "op": f.op, "formula": f.formula,
                    "inputs": [steps.nodes[i] for i in f.inputs],
                    "value": None if f.value is None else summary(f.value)})
    for b in steps.backward:
        out.append({"phase": "backward", "node": b.node, "id": steps.ids[b.node], "op": b.op, "formula": b.formula, "leaf": b.leaf,
                    "grad": summary(b.grad_in),
                    "passed": [{"to": steps.nodes[p.parent], "id": steps.ids[p.parent], "grad": summary(p.grad),
                                "before": None if p.before is None else summary(p.before),
                                "after": summary(p.after)} for p in b.passed]})
    return out
