"""The package's layers: every import runs down the reading order, so there is no cycle.

The order below is the one a student reads the package in (README, "Layout"): the core, the ops,
Tensor, then what is built on Tensor, then nn/optim/data, then the tools. A module may import only
modules before it. The test reads the source (ast), so it sees imports inside functions too, and
every import of a package module must name a module that exists.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import tinygrad_la

PACKAGE = Path(tinygrad_la.__file__).parent

READING_ORDER = [
    # core: imports nothing above it
    "core.collector", "core.tracer", "core.engine", "core.version", "core.random", "core.dtypes", "core.device",
    "core.float_errors", "core.tensor_base", "core.function",
    # the ops, each file building on the ones before
    "ops.elementwise", "ops.movement", "ops.linalg", "ops.reductions", "ops.inplace", "ops.fused", "ops.conv",
    # Tensor, composed from them (and printed as PyTorch prints it)
    "printing", "tensor",
    # built on Tensor
    "value", "creation", "functions", "autograd", "gradcheck",
    # models, training, data, checkpoints
    "nn.module", "nn.init", "nn.functional", "nn.layers", "nn.conv", "nn.normalization", "nn.losses", "nn.utils",
    "optim.optimizer", "optim.sgd", "optim.adam", "optim.rmsprop", "optim.adagrad", "optim.lr_scheduler",
    "utils.data", "serialization",
    # tools: nothing above imports them
    "walkthrough", "viz", "compile", "testing",
]

# Upward imports that run only when called, each with its reason. Nothing else may go up.
CALLED_UPWARD = {
    ("tensor", "viz"): "Tensor.draw() is the chapter's one-line picture; viz loads only when drawing",
    ("value", "viz"): "Value.draw() likewise, for the scalar engine's pictures",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _package_imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported package module, line, at module level?) for every import of a tinygrad_la module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    here = name.split(".")[:-1] if not is_package else ([] if name == "__init__" else name.split(".")[:-1])
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                prefix = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "tinygrad_la":
                prefix = node.module.partition(".")[2]
            else:
                continue
            for alias in node.names:   # `from . import engine` imports a module; `from .x import y` a name of x
                child = f"{prefix}.{alias.name}" if prefix else alias.name
                targets.append(child if child in _modules() or f"{child}.__init__" in _modules() else prefix)
        elif isinstance(node, ast.Import):
            targets = [a.name.partition(".")[2] for a in node.names if a.name.split(".")[0] == "tinygrad_la"]
        for target in targets:
            found.append((target, node.lineno, id(node) in top_level))
    return found


def _resolve(target: str, modules: dict[str, Path]) -> str | None:
    if target in modules:
        return target
    if f"{target}.__init__" in modules:
        return f"{target}.__init__"
    return None


def _rank(name: str) -> int:
    """A module's place in the reading order; a package's __init__ sits with its last child."""
    if name in READING_ORDER:
        return READING_ORDER.index(name)
    package = name.removesuffix(".__init__")
    children = [i for i, m in enumerate(READING_ORDER) if m.startswith(package + ".")]
    return max(children)


def test_every_module_has_a_place_in_the_reading_order() -> None:
    named = {m for m in _modules() if not m.endswith("__init__")}
    assert named == set(READING_ORDER), (
        f"modules missing from READING_ORDER: {sorted(named - set(READING_ORDER))}; "
        f"listed but not in the package: {sorted(set(READING_ORDER) - named)}")


def test_every_import_runs_down_the_reading_order() -> None:
    modules = _modules()
    problems = []
    for name, path in modules.items():
        if name == "__init__":
            continue   # the package's front door imports everything, and nothing imports it back
        for target, line, _ in _package_imports(name, path):
            resolved = _resolve(target, modules)
            if resolved is None:
                problems.append(f"{name}.py:{line} imports tinygrad_la.{target}, which does not exist")
                continue
            if resolved == "__init__":
                problems.append(f"{name}.py:{line} imports the package itself (tinygrad_la): import the module")
                continue
            own_package = name.endswith("__init__") and resolved.startswith(name.removesuffix("__init__"))
            if own_package or resolved == name or (name, resolved) in CALLED_UPWARD:
                continue
            if _rank(resolved) >= _rank(name):
                problems.append(f"{name}.py:{line} imports {resolved}, which comes at or after it in the "
                                "reading order (an upward import)")
    assert not problems, "\n".join(problems)


def test_the_upward_exceptions_are_imported_only_inside_functions() -> None:
    modules = _modules()
    for (name, target), _reason in CALLED_UPWARD.items():
        edges = [(t, line, top) for t, line, top in _package_imports(name, modules[name]) if t == target]
        assert edges, f"{name} no longer imports {target}: drop the exception"
        assert not any(top for _, _, top in edges), f"{name} imports {target} at module level"


def test_a_module_catches_an_upward_import(tmp_path: Path) -> None:
    # the checker itself: an ops file importing nn is refused
    fake = tmp_path / "ops" / "elementwise.py"
    fake.parent.mkdir()
    fake.write_text("from ..nn import functional\n")
    edges = _package_imports("ops.elementwise", fake)
    assert edges == [("nn.functional", 1, True)]
    assert _rank("nn.functional") > _rank("ops.elementwise")


def test_each_module_imports_first() -> None:
    # no import order is needed: whatever an import sorter does to __init__.py, the package loads.
    # One fresh interpreter, the package forgotten before each module is imported first.
    code = (
        "import importlib, sys\n"
        f"for name in {READING_ORDER!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'tinygrad_la' or m.startswith('tinygrad_la.')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module('tinygrad_la.' + name)\n"
        "    print(name)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == READING_ORDER
