"""Import direction (docs/architecture.md): every import points down the floors below, no module imports
itself back through others, and the code that runs inside a traced app never pulls in the
analysis side. Read from the source with ``ast``: imports under ``if TYPE_CHECKING:`` do not
run and are left out; imports inside functions count (they run)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "e2e_otel"

# The floor of each top-level unit of the package: an import may only go to the same or a
# lower floor (and the same floor only without a cycle, checked below).
FLOORS: dict[str, int] = {
    # contracts and ground rules, standard library and OpenTelemetry only
    **dict.fromkeys(
        ["attributes", "metrics", "_guard", "privacy", "environment_variables", "durations"], 0
    ),
    **dict.fromkeys(["config_types", "sql", "lifecycle", "errors"], 0),
    **dict.fromkeys(["config_file", "config_parse", "config", "runtime", "exporters"], 1),
    **dict.fromkeys(["processors", "instrumentation", "sources", "discovery", "stack"], 2),
    **dict.fromkeys(["setup", "analyzers"], 3),
    **dict.fromkeys(["distro", "", "publish", "contract", "dbhealth", "testing"], 4),
    **dict.fromkeys(["validation", "service"], 5),
    "cli": 6,
}
# Modules on another floor than their unit's, consulted before FLOORS: the rule registry is
# read by the configuration loader, so it sits beside config (stdlib and config_types only).
MODULE_FLOORS: dict[str, int] = {"e2e_otel.analyzers.registry": 1}
# What runs inside the user's process when it is traced.
IN_APP = {"processors", "instrumentation", "setup", "distro", "exporters", "lifecycle", "runtime"}
ANALYSIS = {"analyzers", "sources", "publish", "discovery", "contract", "dbhealth"} | {
    "validation",
    "stack",
    "service",
    "cli",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["e2e_otel", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _unit(module: str) -> str:
    """``e2e_otel.analyzers.run`` -> ``analyzers``."""
    return module.split(".")[1] if "." in module else ""


def _floor(module: str) -> int:
    return MODULE_FLOORS.get(module, FLOORS[_unit(module)])


def _group(module: str) -> str:
    """The unit of ``module`` in the unit graph: a module with a floor of its own is its own."""
    return module if module in MODULE_FLOORS else _unit(module)


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def _imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    targets: set[str | None] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.update(_resolve(a.name) for a in node.names if a.name.startswith("e2e_otel"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("e2e_otel"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.add(full if full in MODULES else _resolve(str(node.module)))
    return {t for t in targets if t is not None and t != module}


GRAPH = {module: _imports(module) for module in MODULES}


def test_every_unit_has_a_floor() -> None:
    assert {_unit(m) for m in MODULES} - set(FLOORS) == set()


def test_imports_never_point_up() -> None:
    upward = [
        f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets if _floor(b) > _floor(a)
    ]
    assert upward == []


def test_code_inside_the_traced_app_never_imports_the_analysis_side() -> None:
    leaks = [
        f"{a} -> {b}"
        for a, targets in GRAPH.items()
        if _unit(a) in IN_APP
        for b in targets
        if _unit(b) in ANALYSIS
    ]
    assert leaks == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules() -> None:
    assert _cycles(GRAPH) == []


def test_units_form_no_cycle() -> None:
    units: dict[str, set[str]] = defaultdict(set)
    for a, targets in GRAPH.items():
        units[_group(a)].update(_group(b) for b in targets if _group(b) != _group(a))
    for unit in list(units):
        for target in units[unit]:
            units.setdefault(target, set())
    assert _cycles(dict(units)) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]), ({"a": {"b"}, "b": set()}, [])],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(graph) == expected
