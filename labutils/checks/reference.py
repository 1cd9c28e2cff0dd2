"""A way forward past any exercise: go on with the workbook's own answer.

Every exercise cell ends with a commented line such as::

    # conv_output_size = use_reference("conv_output_size")

Uncomment it and run the cell: the name now means the workbook's version, so the rest
of the lab runs. Your code in the cell stays as you wrote it; delete the line (and run
the cell again) to go back to your own answer. The workbook's answers live in
``labutils/reference/labNN.py``: the same code as the solution notebooks.

When an exercise is answered by the reference, its check prints one line instead of
checking, and your scorecard lists the exercise as "taken from the reference". When a
class is graded (``LABUTILS_GRADING`` is set), such an answer earns no points.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from typing import Any

from .core import CheckFailed, NotImplementedYet
from .progress import FAILED, REFERENCE, lab_modules, lab_of, record_exercise

GRADING_VARIABLE = "LABUTILS_GRADING"

# The objects handed out, by exercise name, so that a check can recognise them.
_handed_out: dict[str, Any] = {}


def known_exercises() -> list[str]:
    """Every exercise of every lab, in order."""
    return [name for module in lab_modules() for name in getattr(module, "EXERCISES", ())]


def reference_answer(exercise: str) -> Any:
    """The workbook's answer to ``exercise``, without recording anything."""
    lab = lab_of(exercise)
    if lab is None:
        names = ", ".join(known_exercises())
        raise ValueError(f"There is no exercise called {exercise!r}. The exercises are: "
                         f"{names}.")
    module = importlib.import_module(f"labutils.reference.lab{lab:02d}")
    return getattr(module, exercise)


def use_reference(exercise: str) -> Any:
    """The workbook's version of ``exercise``, to go on with the lab; prints one line."""
    answer = reference_answer(exercise)
    _handed_out[exercise] = answer
    record_exercise(exercise, REFERENCE)
    print(f"Going on with the workbook's {exercise}; your own code is kept, and the "
          "scorecard lists this exercise as taken from the reference.")
    return answer


def answered_by_reference(answer: Any) -> str | None:
    """The exercise whose reference ``answer`` is, or None for your own code."""
    for exercise, handed in _handed_out.items():
        if answer is handed:
            return exercise
    return None


def grading() -> bool:
    """True while nbgrader grades a class (the course tools set LABUTILS_GRADING)."""
    return os.environ.get(GRADING_VARIABLE, "") not in ("", "0")


def exercise_check(check: Callable[..., None]) -> Callable[..., None]:
    """Wrap a ``check_*`` function: an answer taken from the reference is named, not
    checked, and every result is written down for the scorecard."""

    @functools.wraps(check)
    def wrapped(answer: Any, *others: Any, **options: Any) -> None:
        exercise = answered_by_reference(answer)
        if exercise is not None:
            if grading():
                raise CheckFailed(exercise, "This answer is the workbook's reference "
                                  "(use_reference), so it earns no points.\nExpected your "
                                  "own code: remove the use_reference line and answer the "
                                  "exercise yourself.")
            record_exercise(exercise, REFERENCE)
            print(f"{exercise}: the workbook's version is in use, so there is nothing to "
                  "check; write your own and run this cell again whenever you like.")
            return
        try:
            check(answer, *others, **options)  # a pass is written down by Check.passed
        except NotImplementedYet:
            raise
        except CheckFailed as failure:
            record_exercise(failure.name, FAILED)
            raise

    return wrapped
