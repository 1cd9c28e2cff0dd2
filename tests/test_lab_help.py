"""Every lab's help is complete: hints for each exercise, a way forward in each exercise
cell, targets that the solution asserts, and names that agree across the register of
checks, the reference and the notebook."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import labutils.checks
from labutils.checks.registry import exercises, labs, targets

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
IDS = [path.stem[:2] for path in SOLUTIONS]
CHECK_NAME = re.compile(r'\bCheck\("(\w+)"\)')
TARGET_CALL = re.compile(r'\bassert_target\("([^"]+)"')
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)


def code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def test_the_register_has_a_lab_for_every_solution_notebook():
    assert labs() == [int(path.name[:2]) for path in SOLUTIONS]


def test_every_exported_check_is_registered_once_with_a_lab_and_an_exercise():
    exported = [getattr(labutils.checks, name) for name in labutils.checks.__all__
                if name.startswith("check_")]
    registered = [exercise.check for exercise in exercises()]
    assert len(registered) == len(set(registered)) == len(exported)
    assert set(registered) == set(exported)
    for exercise in exercises():
        assert exercise.lab in labs() and exercise.name, exercise
        assert exercise.check_name.startswith("check_")
        assert getattr(labutils.checks, exercise.check_name) is exercise.check


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_the_lab_calls_exactly_its_registered_checks_in_their_order(path):
    called = [name for cell in code_cells(path) for name in CHECK_CALL.findall(cell)]
    assert called == [exercise.check_name for exercise in exercises(int(path.name[:2]))]


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_each_check_gives_check_the_name_of_its_exercise(path):
    for exercise in exercises(int(path.name[:2])):
        source = inspect.getsource(inspect.unwrap(exercise.check))
        assert CHECK_NAME.findall(source) == [exercise.name], exercise.check_name


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_exercise_has_two_or_three_hints(path):
    for exercise in exercises(int(path.name[:2])):
        module = inspect.getmodule(inspect.unwrap(exercise.check))
        assert set(module.HINTS) == {found.name for found in exercises(exercise.lab)}
        name, hints = exercise.name, exercise.hints
        assert 2 <= len(hints) <= 3, f"{name} has {len(hints)} hints"
        for text in hints:
            assert isinstance(text, str) and 20 <= len(text) <= 600, (name, text)
        assert len(set(hints)) == len(hints), f"{name} repeats a hint"


@pytest.mark.parametrize("path", SOLUTIONS, ids=IDS)
def test_every_exercise_cell_offers_a_hint_and_the_way_forward(path):
    cells = code_cells(path)
    for name in [exercise.name for exercise in exercises(int(path.name[:2]))]:
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
    asserted = [name for cell in code_cells(path) for name in TARGET_CALL.findall(cell)]
    assert sorted(asserted) == sorted(target.name for target in targets(int(path.name[:2])))


def test_target_names_are_unique_across_labs():
    names = [target.name for target in targets()]
    assert len(names) == len(set(names)), names
    for target in targets():
        assert target.advice, f"{target.name} needs advice for a student who misses it"
