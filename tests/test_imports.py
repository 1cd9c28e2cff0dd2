"""The checks package is layered: its modules import each other without a circle, and no
module reaches another through ``importlib``, where an import cannot be seen."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "labutils.checks"
FOLDER = ROOT / "labutils" / "checks"


def module_name(path: Path) -> str:
    """``labutils.checks.core`` for ``labutils/checks/core.py``."""
    return PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"


def imported(path: Path) -> set[str]:
    """The modules of the package that ``path`` imports, anywhere in its code (a function's
    own ``import`` too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = f"{PACKAGE}.{node.module}" if node.level == 1 and node.module else \
                PACKAGE if node.level == 1 else node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # from . import stubs
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of labutils/checks and the modules of the package it imports."""
    paths = sorted(FOLDER.glob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): (imported(path) & modules) - {module_name(path)}
            for path in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports that a depth-first walk meets, as the modules around it."""
    found, state = [], dict.fromkeys(graph, "new")

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph[module]):
            if state[other] == "open":
                found.append(path[path.index(other):] + [other])
            elif state[other] == "new":
                walk(other, [*path, other])
        state[module] = "done"

    for module in sorted(graph):
        if state[module] == "new":
            walk(module, [module])
    return found


def test_the_checks_package_imports_without_a_circle():
    assert cycles(import_graph()) == []


def test_no_check_module_is_imported_by_name_at_run_time():
    for path in FOLDER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                spelled = ast.unparse(node.args[0]) if node.args else ""
                assert "labutils.checks" not in spelled, f"{path.name}: {spelled}"


def test_the_cycle_finder_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
