"""A way forward past any exercise: go on with the workbook's own answer.

Every exercise cell ends with a commented line such as::

    # conv_output_size = use_reference("conv_output_size")

Uncomment it and run the cell: the name now means the workbook's version, so the rest
of the lab runs. Your code in the cell stays as you wrote it; delete the line (and run
the cell again) to go back to your own answer. The workbook's answers are the
``labutils_answers`` package (``answers/labutils_answers/labNN.py`` in the workbook): the
same code as the solution notebooks.

In a graded class, students' machines do not have that package: the instructor releases
each lab's answers after its deadline into a shared folder, named by ``LABUTILS_ANSWERS``
(``python -m tools.course release-answers``). Until then ``use_reference`` says, in one
line, that the way forward opens after the deadline.

When an exercise is answered by the reference, its check prints one line instead of
checking, and your scorecard lists the exercise as "taken from the reference". When a
class is graded (``LABUTILS_GRADING`` is set), such an answer earns no points.

That is the work of :func:`exercise`, the decorator on every check: it writes the check
down in the register (``registry.py``) as lab N's exercise, and makes it recognise the
reference and write its result down for the scorecard.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import settings
from .core import CheckFailed, NotImplementedYet
from .registry import (
    FAILED,
    REFERENCE,
    Exercise,
    exercises,
    find_exercise,
    record_exercise,
    register,
)

GRADING_VARIABLE = "LABUTILS_GRADING"
ANSWERS_VARIABLE = "LABUTILS_ANSWERS"
ANSWERS_PACKAGE = "labutils_answers"
# Code of the workbook itself: handed in as an answer, it is not the student's own.
WORKBOOK_PACKAGES = ("labutils", ANSWERS_PACKAGE)


class AnswersNotReleased(NotImplementedYet):
    """The way forward is closed: this machine has no answers for the lab (a graded class,
    before the instructor releases them)."""

    def _render_traceback_(self) -> list[str]:
        return self.message.splitlines()

# The objects handed out, by exercise name, so that a check can recognise them.
_handed_out: dict[str, Any] = {}


def _released_module(lab: int) -> ModuleType | None:
    """Lab ``lab``'s answers from the folder the instructor released them to, if there."""
    folder = os.environ.get(ANSWERS_VARIABLE, "").strip()
    path = Path(folder).expanduser() / f"lab{lab:02d}.py" if folder else None
    if path is None or not path.is_file():
        return None
    name = f"{ANSWERS_PACKAGE}.lab{lab:02d}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def answers_module(lab: int) -> ModuleType | None:
    """The module holding lab ``lab``'s answers, or None where this machine has none."""
    try:
        return importlib.import_module(f"{ANSWERS_PACKAGE}.lab{lab:02d}")
    except ModuleNotFoundError as missing:
        if missing.name not in (ANSWERS_PACKAGE, f"{ANSWERS_PACKAGE}.lab{lab:02d}"):
            raise
    return _released_module(lab)


def reference_answer(exercise: str) -> Any:
    """The workbook's answer to ``exercise``, without recording anything.

    Raises :class:`AnswersNotReleased` where this machine has no answers for its lab.
    """
    found = find_exercise(exercise)
    if found is None:
        names = ", ".join(known.name for known in exercises())
        raise ValueError(f"There is no exercise called {exercise!r}. The exercises are: "
                         f"{names}.")
    module = answers_module(found.lab)
    if module is None:
        raise AnswersNotReleased(exercise, (
            f"The workbook's {exercise} is not on this machine yet: in a graded class, the "
            "way forward opens after the deadline, when your instructor releases the "
            f"answers.\nUntil then, the hints are here for you: hint({exercise!r})."))
    return getattr(module, exercise)


def workbook_code(answer: Any) -> str | None:
    """Where ``answer`` comes from when it is the workbook's own code (a class or function
    of labutils or of its answers, or a class built on one), else None."""
    classes = answer.__mro__ if isinstance(answer, type) else (answer,)
    for item in classes:
        module = getattr(item, "__module__", None) if callable(item) else None
        if isinstance(module, str) and module.split(".")[0] in WORKBOOK_PACKAGES:
            return f"{module}.{getattr(item, '__qualname__', '')}".rstrip(".")
    return None


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
    """True while nbgrader grades a class (``labutils.settings.grading``)."""
    return settings.grading()


def exercise(lab: int, name: str,
             hints: Sequence[str]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the check below it as lab ``lab``'s exercise ``name``, with its hints::

        @exercise(2, "vgg_block", hints=HINTS["vgg_block"])
        def check_vgg_block(vgg_block): ...

    The check a notebook gets (and the register holds) names an answer taken from the
    reference instead of checking it, and writes every result down for the scorecard;
    ``check_vgg_block.__wrapped__`` is the check alone."""

    def registered(check: Callable[..., None]) -> Callable[..., None]:
        guarded = _guard(check)
        register(Exercise(lab, name, guarded, tuple(hints)))
        return guarded

    return registered


def _guard(check: Callable[..., None]) -> Callable[..., None]:
    """Wrap a ``check_*`` function: an answer taken from the reference is named, not
    checked, and every result is written down for the scorecard."""

    @functools.wraps(check)
    def wrapped(answer: Any, *others: Any, **options: Any) -> None:
        exercise = answered_by_reference(answer)
        origin = workbook_code(answer) if exercise is None else None
        if origin is not None:
            exercise = getattr(answer, "__name__", check.__name__.removeprefix("check_"))
            if grading():
                raise CheckFailed(exercise, f"This answer is the workbook's own code "
                                  f"({origin}), so it earns no points.\nExpected your own "
                                  "code: answer the exercise yourself.")
            print(f"This is the workbook's own code ({origin}), not yours, so there is "
                  "nothing to check: write your own and run this cell again.")
            return
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
