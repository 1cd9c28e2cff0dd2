"""The way forward hands out the solution's own code: ``answers/labutils_answers/labNN.py``
holds every exercise answer of ``solutions/NN_*.ipynb`` character for character."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import textwrap
from pathlib import Path

import pytest

from labutils.checks.registry import exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def exercise_cells(path: Path) -> list[str]:
    """The sources of a solution notebook's exercise cells, without the markers."""
    cells = json.loads(path.read_text())["cells"]
    sources = []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and any(line.strip() == MARKERS[0]
                                               for line in source.splitlines()):
            kept = [line for line in source.splitlines() if line.strip() not in MARKERS]
            sources.append("\n".join(kept) + "\n")
    return sources


def named_statements(source: str) -> dict[str, str]:
    """Top-level ``def``, ``class`` and ``NAME = ...`` statements, by name."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = ast.get_source_segment(source, node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = ast.get_source_segment(source, node)
    return found


def reference_source(module, name: str) -> str:
    """What the reference module holds under ``name``: the code of a def or class
    (wherever it was written), or the statement that assigns it."""
    value = getattr(module, name)
    if inspect.isfunction(value) or inspect.isclass(value):
        return textwrap.dedent(inspect.getsource(value)).rstrip("\n")
    return named_statements(Path(module.__file__).read_text())[name]


@pytest.mark.parametrize("path", SOLUTIONS, ids=[path.stem[:2] for path in SOLUTIONS])
def test_the_reference_is_the_solution_code(path):
    lab = int(path.name[:2])
    module = importlib.import_module(f"labutils_answers.lab{lab:02d}")
    names = [exercise.name for exercise in exercises(lab)]
    answered = {}
    for source in exercise_cells(path):
        answered.update(named_statements(source))
    missing = [name for name in names if name not in answered]
    assert not missing, f"{path.name} has no exercise cell defining {missing}"
    for name, code in answered.items():
        assert hasattr(module, name), (
            f"answers/labutils_answers/lab{lab:02d}.py lacks {name}, which {path.name} defines "
            "in an exercise cell: copy it there")
        assert reference_source(module, name) == code.rstrip("\n"), (
            f"{name} in answers/labutils_answers/lab{lab:02d}.py differs from {path.name}: "
            "copy the solution's code (without the markers) into the reference")
