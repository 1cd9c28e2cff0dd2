"""Every lab's help is complete: hints for each exercise, a way forward in each exercise
cell, targets that the solution asserts, and names that agree across the check module,
the reference and the notebook."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

from labutils.checks.progress import LAB_MODULES, lab_module

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
IDS = [path.stem[:2] for path in SOLUTIONS]
CHECK_NAME = re.compile(r'\bCheck\("(\w+)"\)')
TARGET_CALL = re.compile(r'\bassert_target\("([^"]+)"')


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def test_there_is_a_check_module_for_every_lab():
    assert len(LAB_MODULES) == len(SOLUTIONS)


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_the_check_module_names_its_lab_and_its_exercises(path):
    lab = int(path.name[:2])
    module = lab_module(lab)
    assert module.LAB == lab
    checked = set(CHECK_NAME.findall(inspect.getsource(module)))
    assert set(module.EXERCISES) == checked, "EXERCISES must be the names given to Check"
    assert len(set(module.EXERCISES)) == len(module.EXERCISES)


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_exercise_has_two_or_three_hints(path):
    module = lab_module(int(path.name[:2]))
    assert set(module.HINTS) == set(module.EXERCISES)
    for name, hints in module.HINTS.items():
        assert 2 <= len(hints) <= 3, f"{name} has {len(hints)} hints"
        for text in hints:
            assert isinstance(text, str) and 20 <= len(text) <= 600, (name, text)
        assert len(set(hints)) == len(hints), f"{name} repeats a hint"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_exercise_cell_offers_a_hint_and_the_way_forward(path):
    module = lab_module(int(path.name[:2]))
    cells = code_cells(path)
    for name in module.EXERCISES:
        lines = [f'# Stuck? Run hint("{name}") in a new cell for a hint, and again for '
                 "the next one.",
                 "# To go on with the workbook's version instead, uncomment the next line:",
                 f'# {name} = use_reference("{name}")']
        holders = [cell for cell in cells if "\n".join(lines) in cell]
        assert len(holders) == 1, f"{path.name}: {name} needs the three way-forward lines once"
        assert holders[0].rstrip().endswith(lines[-1]), f"{name}: the lines end the cell"
        assert "### BEGIN SOLUTION" in holders[0], f"{name}: they belong to its exercise cell"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_the_solution_asserts_exactly_the_labs_targets(path):
    module = lab_module(int(path.name[:2]))
    asserted = [name for cell in code_cells(path) for name in TARGET_CALL.findall(cell)]
    assert sorted(asserted) == sorted(target.name for target in module.TARGETS)


def test_target_names_are_unique_across_labs():
    names = [target.name for lab in range(1, len(LAB_MODULES) + 1)
             for target in lab_module(lab).TARGETS]
    assert len(names) == len(set(names)), names
    for lab in range(1, len(LAB_MODULES) + 1):
        for target in lab_module(lab).TARGETS:
            assert target.advice, f"{target.name} needs advice for a student who misses it"
