"""Hints on request: ``hint("conv_output_size")`` shows the next hint for an exercise.

Every exercise has two or three hints, from a nudge to nearly the answer. They are
written next to the exercise's check, in the lab's module (its ``HINTS``), so reading
that module shows them all at once, if you prefer; each check hands its own to the
register (``registry.py``), which this module reads.
"""

from __future__ import annotations

from typing import Any

from .core import BOLD, RESET
from .registry import exercises

# How many hints of each exercise this kernel has shown.
_shown: dict[str, int] = {}


def all_hints() -> dict[str, tuple[str, ...]]:
    """Every exercise's hints, by exercise name."""
    return {found.name: found.hints for found in exercises()}


def hint(exercise: Any, number: int | None = None) -> None:
    """Show the next hint for ``exercise`` (its name, or the function or class itself);
    ``number`` shows that hint again (1 is the first)."""
    name = exercise if isinstance(exercise, str) else getattr(exercise, "__name__", "")
    hints = all_hints()
    if name not in hints:
        print(f"There are no hints for {name!r}. Exercises with hints: "
              f"{', '.join(sorted(hints))}.")
        return
    steps = hints[name]
    if number is None:
        number = min(_shown.get(name, 0) + 1, len(steps))
    if not isinstance(number, int) or not 1 <= number <= len(steps):
        print(f"{name} has hints 1 to {len(steps)}; hint({name!r}, 1) shows the first.")
        return
    _shown[name] = max(_shown.get(name, 0), number)
    print(f"{BOLD}Hint {number} of {len(steps)} for {name}:{RESET} {steps[number - 1]}")
    if number < len(steps):
        print(f"Run hint({name!r}) again for the next one.")
    else:
        print(f"That was the last hint. To go on with the workbook's version, uncomment "
              f"the line {name} = use_reference({name!r}) in the exercise cell.")
