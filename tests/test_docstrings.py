"""Every public function, class and method of the package says what it computes in a docstring.

An op's own forward and backward need none: the op class's docstring is their formula
(`Mul: x * y;  dx = g·y,  dy = g·x`), the derivative table a reader scans.
"""
from __future__ import annotations

import ast
from pathlib import Path

import tinygrad_la

PACKAGE = Path(tinygrad_la.__file__).parent


def _public(name: str) -> bool:
    return not name.startswith("_")


def _missing(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(root)
    missing = []

    def visit(body: list[ast.stmt], owner: str, in_op: bool) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(node.name):
                if in_op and node.name in ("forward", "backward"):
                    continue
                if any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in node.decorator_list):
                    continue   # a property's setter shares the getter's docstring
                if any(isinstance(d, ast.Name) and d.id == "overload" for d in node.decorator_list):
                    continue   # typing overloads: the implementation carries the docstring
                if ast.get_docstring(node) is None:
                    missing.append(f"{where}:{node.lineno} {owner}{node.name}")
            elif isinstance(node, ast.ClassDef) and _public(node.name):
                if ast.get_docstring(node) is None:
                    missing.append(f"{where}:{node.lineno} class {owner}{node.name}")
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                visit(node.body, f"{owner}{node.name}.", in_op or bool(bases & {"Op", "Function"}))
            elif isinstance(node, ast.If):   # TYPE_CHECKING blocks and the like
                visit(node.body, owner, in_op)

    visit(tree.body, "", False)
    return missing


def test_every_public_function_class_and_method_has_a_docstring() -> None:
    missing = [m for path in sorted(PACKAGE.rglob("*.py")) for m in _missing(path)]
    assert not missing, f"{len(missing)} without a docstring:\n" + "\n".join(missing)


def test_the_check_finds_a_method_without_one(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text('class Thing:\n    """A thing."""\n\n    def act(self) -> None:\n        pass\n')
    assert _missing(module, tmp_path) == ["probe.py:4 Thing.act"]
