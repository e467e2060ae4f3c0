"""The package's layers: every import points down, and no module imports itself back.

present -> analysis -> run -> model -> scenario; ``outputs``, ``history``, ``ratings`` and
``version`` are leaves every layer may read, and import nothing of the package; ``cli`` and the
package's ``__init__`` sit on top. Imports are read from the source with :mod:`ast`, those
inside functions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"

#: Rank of each layer: a module may import modules of its own rank or lower.
RANKS = {
    "outputs": 0,
    "history": 0,
    "ratings": 0,
    "version": 0,
    "scenario": 1,
    "model": 2,
    "run": 3,
    "analysis": 4,
}
RANKS |= {"present": 5, "cli": 6, "__init__": 6}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    """The simulator modules a file imports (relative imports resolved)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("simulator")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("simulator"):
                continue
            out.add(target)
            for alias in node.names:  # "from . import plots" imports a module
                if (PACKAGE.parent / target.replace(".", "/") / f"{alias.name}.py").is_file():
                    out.add(f"{target}.{alias.name}")
    out.discard(module)
    return out


GRAPH = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_is_in_a_layer() -> None:
    assert {_layer(m) for m in GRAPH} <= set(RANKS)
    assert {"simulator.model.chain", "simulator.run.engine", "simulator.outputs"} <= set(GRAPH)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module: str) -> None:
    rank = RANKS[_layer(module)]
    for target in GRAPH[module]:
        if target == "simulator":
            assert _layer(module) in ("cli", "__init__"), f"{module} imports the package root"
            continue
        assert RANKS[_layer(target)] <= rank, f"{module} imports {target}, a higher layer"
    if _layer(module) in ("outputs", "history", "ratings", "version"):
        assert not GRAPH[module], f"{module} is a leaf but imports {sorted(GRAPH[module])}"


def test_no_import_cycle() -> None:
    """Modules as a graph (a package stands for its __init__): depth-first, no back edge."""
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])
