"""Issue 18: the import graph of src/unstuck has no cycles, function-local (lazy) imports included.

The graph is built from the source with `ast`: every Import and ImportFrom node anywhere in a module
(top level, inside functions, under `if TYPE_CHECKING:`) is an edge. Relative imports are resolved;
`from pkg import name` is an edge to `pkg.name` when that is a module and to `pkg` otherwise; a
package's `__init__` is a module like any other (named after the package)."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "unstuck"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _owner(name: str, mods: dict[str, Path]) -> str | None:
    """The module of ours that importing `name` runs last: `name` itself or its nearest parent."""
    while name:
        if name in mods:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported(node: ast.AST, module: str, is_package: bool, mods: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        parts = package.split(".")
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join(parts + ([base] if base else []))
    out = []
    for alias in node.names:
        full = f"{base}.{alias.name}"
        out.append(full if full in mods else base)
    return out


def import_graph() -> nx.DiGraph:
    mods = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    for module, path in mods.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            for name in _imported(node, module, is_package, mods):
                target = _owner(name, mods)
                if target and target != module:
                    lines = graph.get_edge_data(module, target, {}).get("lines", [])
                    graph.add_edge(module, target, lines=sorted(set(lines) | {node.lineno}))
    return graph


def _describe(graph: nx.DiGraph, component: set[str]) -> str:
    sub = graph.subgraph(component)
    lines = [f"{len(component)} modules import each other: {', '.join(sorted(component))}"]
    for cycle in sorted(nx.simple_cycles(sub), key=len)[:20]:
        hops = " -> ".join(f"{a} (line {','.join(map(str, sub.edges[a, b]['lines']))})"
                           for a, b in zip(cycle, cycle[1:] + cycle[:1]))
        lines.append(f"  cycle: {hops} -> {cycle[0]}")
    return "\n".join(lines)


def test_the_graph_sees_the_package():
    graph = import_graph()
    assert "unstuck" in graph and "unstuck.rules.base" in graph
    assert graph.has_edge("unstuck.rules", "unstuck.rules.base")


def test_no_import_cycles_lazy_imports_included():
    graph = import_graph()
    tangles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not tangles, "import cycles (lazy imports counted):\n" + "\n".join(
        _describe(graph, c) for c in sorted(tangles, key=lambda c: sorted(c)))
