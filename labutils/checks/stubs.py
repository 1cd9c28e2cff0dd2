"""A friendly word when a cell runs into an exercise you have not done yet.

An unsolved exercise holds ``raise NotImplementedError()``. When a later cell calls it,
Jupyter would show a long traceback; instead, this module tells you which exercise to do
first and how to go on without it. Any other ``NotImplementedError`` (one from PyTorch,
say) keeps its usual traceback.
"""

from __future__ import annotations

import sys
from types import FrameType, TracebackType
from typing import Any

from .core import BOLD, RED, RESET
from .registry import exercises


def _in_a_cell(frame: FrameType) -> bool:
    """True for code typed in a notebook cell (not a library's)."""
    filename = frame.f_code.co_filename
    return "ipykernel" in filename or filename.startswith("<ipython-input")


def unsolved_exercise(error: BaseException) -> str | None:
    """The exercise whose stub raised ``error``, or None when the error came from
    anywhere else."""
    if not isinstance(error, NotImplementedError):
        return None
    tb: TracebackType | None = error.__traceback__
    last: FrameType | None = None
    while tb is not None:
        last, tb = tb.tb_frame, tb.tb_next
    if last is None or not _in_a_cell(last):
        return None
    names = {found.name for found in exercises()}
    if last.f_code.co_name in names:
        return last.f_code.co_name
    owner = last.f_locals.get("self")
    if owner is not None and type(owner).__name__ in names:
        return type(owner).__name__
    return None


def message(exercise: str) -> list[str]:
    """What the student reads instead of the traceback."""
    return [
        f"{RED}{BOLD}{exercise} is not done yet{RESET}",
        f"This cell uses {exercise}, and the exercise cell above still holds its stub.",
        f"Do that exercise first (stuck? run hint({exercise!r})), or go on with the "
        "workbook's version: uncomment the last line of the exercise cell,",
        f"    {exercise} = use_reference({exercise!r})",
        "run that cell, then run this one again.",
    ]


def install() -> bool:
    """Show :func:`message` for unsolved exercises in this IPython kernel; False when not
    running in IPython. Every other error is shown as before, and the cell still ends in
    an error either way (Run All stops there, as it should)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    usual = getattr(shell, "_usual_showtraceback", shell.showtraceback)

    def showtraceback(exc_tuple: Any = None, *args: Any, **kwargs: Any) -> None:
        kind, error, _ = exc_tuple or sys.exc_info()
        exercise = unsolved_exercise(error) if error is not None else None
        if exercise is None:
            usual(exc_tuple, *args, **kwargs)
        else:
            shell._showtraceback(kind, error, message(exercise))

    shell._usual_showtraceback = usual  # importing labutils again must not wrap it twice
    shell.showtraceback = showtraceback
    return True
