"""The import graph of Groundwork's own packages, read from the source with ``ast`` (nothing is
imported), for ``tests/test_import_graph.py`` and ``scripts/import_layers``.

The rules, so a reader can check a finding by hand:

- A node is a module (``marketplace.services.batches``) or a package (``marketplace.services``,
  its ``__init__.py``); migrations are left out (Django's loader imports them, nobody else does).
- ``import a.b.c`` is an edge to the longest known module ``a.b.c`` starts with; so is
  ``from a.b import c.d``'s module. ``from pkg import name`` is an edge to ``pkg.name`` when that
  is a module, else to ``pkg`` (its ``__init__``). Relative imports are resolved first.
- Importing a submodule also runs its parents' ``__init__``; that implied edge is not counted,
  or every package that re-exports its submodules (``models/__init__``) would be a cycle.
- An import under ``if TYPE_CHECKING:`` is no edge (it never runs).
- Any other import inside a function or class body is a *nested* import, and still an edge:
  deferring an import hides a cycle from Python, not from this graph.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("marketplace", "labeling", "consolidation", "aws")


@dataclass(frozen=True)
class NestedImport:
    module: str
    scope: str  # the dotted function or class path holding it: "MarketplaceConfig.ready"
    line: int
    text: str


@dataclass
class ImportGraph:
    modules: dict[str, Path] = field(default_factory=dict)
    edges: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # Every top-level name imported from outside our packages ("django", "numpy"), per module.
    external: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    nested: list[NestedImport] = field(default_factory=list)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files(root: Path, packages: tuple[str, ...]) -> list[Path]:
    files = []
    for package in packages:
        base = root / package
        if not base.is_dir():
            continue
        files.extend(p for p in sorted(base.rglob("*.py")) if "migrations" not in p.relative_to(root).parts)
    return files


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, str | None]]:
    """Every import that can run, with the function or class scope holding it (``None``: the
    module's own top level, including under module-level ``if``/``try``)."""
    found: list[tuple[ast.Import | ast.ImportFrom, str | None]] = []

    def visit(node: ast.AST, scope: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit_stmt(stmt, scope)
                continue
            visit_stmt(child, scope)

    def visit_stmt(child: ast.AST, scope: str | None) -> None:
        if isinstance(child, ast.Import | ast.ImportFrom):
            found.append((child, scope))
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            visit(child, f"{scope}.{child.name}" if scope else child.name)
        else:
            visit(child, scope)

    visit(tree, None)
    return found


def build(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> ImportGraph:
    graph = ImportGraph()
    files = _source_files(root, packages)
    for path in files:
        graph.modules[module_name(path, root)] = path

    def resolve(name: str) -> str | None:
        """The longest of our modules that ``name`` starts with."""
        parts = name.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in graph.modules:
                return candidate
            parts.pop()
        return None

    for module, path in graph.modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node, scope in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base_parts = package.split(".")
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in graph.modules else base)
            for target in targets:
                resolved = resolve(target)
                if resolved is None:
                    if target.split(".")[0] not in packages:
                        graph.external[module].add(target.split(".")[0])
                elif resolved != module:
                    graph.edges[module].add(resolved)
            if scope is not None:
                text = ast.get_source_segment(path.read_text(), node) or ""
                graph.nested.append(NestedImport(module, scope, node.lineno, text))
    return graph


def strongly_connected(graph: ImportGraph) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan), each sorted;
    a group of one is not a cycle and is left out."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph.modules):
        if node not in index:
            connect(node)
    return groups


def a_cycle(graph: ImportGraph, group: list[str]) -> list[str]:
    """One concrete cycle through a strongly connected group, for the failure message:
    ``[a, b, c, a]`` (breadth-first, so it is a shortest one through the group's first module)."""
    members = set(group)
    start = group[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph.edges.get(node, ()) & members):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    return group


def layers(graph: ImportGraph, modules: list[str]) -> list[list[str]]:
    """The modules in layers: layer 0 imports none of ``modules``; layer n imports only modules
    of lower layers. (The graph among them must have no cycle.)"""
    chosen = set(modules)
    level: dict[str, int] = {}

    def depth(node: str, trail: frozenset[str]) -> int:
        if node in level:
            return level[node]
        if node in trail:
            raise ValueError(f"import cycle through {node}")
        below = [depth(t, trail | {node}) for t in graph.edges.get(node, ()) if t in chosen]
        level[node] = 1 + max(below) if below else 0
        return level[node]

    for node in sorted(chosen):
        depth(node, frozenset())
    result: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for node, n in sorted(level.items()):
        result[n].append(node)
    return result
