"""The way forward hands out the solution's own code: ``make notebooks`` writes
``answers/labutils_answers/labNN.py`` from the exercise cells of ``solutions/NN_*.ipynb``
(``tools/lesson_code.py``; ``tests/test_notebooks.py`` fails when a file is out of date)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from labutils import models
from labutils.checks.registry import exercises

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=[path.stem[:2] for path in SOLUTIONS])
def test_every_exercise_of_the_lab_has_its_answer(path):
    lab = int(path.name[:2])
    module = importlib.import_module(f"labutils_answers.lab{lab:02d}")
    names = [exercise.name for exercise in exercises(lab)]
    missing = [name for name in names if name not in module.__all__]
    assert not missing, (f"{path.name} has no exercise cell defining {missing}, so "
                         f"answers/labutils_answers/lab{lab:02d}.py lacks them")
    assert all(callable(getattr(module, name)) for name in names)


def test_lab_04s_resnet_is_the_one_copy_in_labutils_models():
    from labutils_answers import lab04

    for name in ("BasicBlock", "Bottleneck", "ResNet"):
        assert getattr(lab04, name) is getattr(models, name)
