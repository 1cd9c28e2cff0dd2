"""The face of labutils: the labs import only ``labutils`` and ``labutils.checks``, and
``labutils.__all__`` is exactly the set of names the labs use."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import labutils
import labutils.checks

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALLOWED_MODULES = {"labutils", "labutils.checks"}


def code_of(path: Path) -> ast.Module:
    """All code cells of a notebook as one parsed module (IPython magics left out)."""
    cells = json.loads(path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            lines += [line for line in "".join(cell["source"]).splitlines()
                      if not line.lstrip().startswith(("%", "!"))]
    return ast.parse("\n".join(lines), filename=str(path))


def labutils_uses(tree: ast.Module) -> tuple[set[str], dict[str, set[str]]]:
    """(names used as ``labutils.NAME``, {module: names imported from it})."""
    attributes, imported = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "labutils":
            attributes.add(node.attr)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("labutils"):
            imported.setdefault(node.module, set()).update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("labutils"):
                    imported.setdefault(alias.name, set())
    return attributes, imported


USES = {path.name: labutils_uses(code_of(path)) for path in SOLUTIONS}


@pytest.mark.parametrize("name", sorted(USES))
def test_a_lab_imports_only_labutils_and_its_checks(name):
    _, imported = USES[name]
    deeper = sorted(set(imported) - ALLOWED_MODULES)
    assert not deeper, f"{name} imports from {deeper}: use labutils or labutils.checks"


def error_family() -> set[str]:
    """The exported names of labutils' errors (labutils.LabutilsError and its subclasses)."""
    return {name for name in labutils.__all__ if isinstance(getattr(labutils, name), type)
            and issubclass(getattr(labutils, name), labutils.LabutilsError)}


def test_labutils_exports_exactly_the_names_the_labs_use():
    used = set()
    for attributes, imported in USES.values():
        used |= attributes | imported.get("labutils", set())
    used.discard("checks")  # labutils.checks is the sub-package, not an export
    # The error family is exported for students to catch, whether or not a lab names it.
    exported = set(labutils.__all__) - (error_family() - used)
    assert sorted(used - exported) == [], "the labs use names labutils does not export"
    assert sorted(exported - used) == [], "labutils exports names that no lab uses"
    for name in labutils.__all__:
        assert hasattr(labutils, name), name


def test_the_error_family_is_exported_and_subclasses_the_builtin_that_fits():
    assert {"LabutilsError", "ArgumentTypeError", "ArgumentValueError", "ModelInputError",
            "SettingError", "DataNotFoundError"} <= error_family()
    assert issubclass(labutils.ArgumentTypeError, TypeError)
    assert issubclass(labutils.ArgumentValueError, ValueError)
    assert issubclass(labutils.DataNotFoundError, (labutils.LabutilsError, FileNotFoundError))
    error = labutils.ArgumentValueError("f() got x = 0.", "x of at least 1.", "pass x=1.")
    assert str(error) == "f() got x = 0.\nExpected: x of at least 1.\nWhat to do: pass x=1."


def test_every_check_a_lab_imports_is_exported_and_every_check_is_used():
    imported = set()
    for _, modules in USES.values():
        imported |= modules.get("labutils.checks", set())
    exported = set(labutils.checks.__all__)
    assert sorted(imported - exported) == []
    checks = {name for name in exported if name.startswith("check_")}
    assert sorted(checks - imported) == [], "checks that no lab calls"


def test_labutils_never_imports_the_authoring_tools():
    for path in (ROOT / "labutils").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "tools" or n.startswith("tools.") for n in names), path
